//! What the engine answers each call: one [`Answer`] per call type, one-liners over the
//! engine's methods, with the bounds a request's numbers must keep. The dispatcher reads the
//! op and routes it through the list of calls ([`crate::for_each_call`]), so a call cannot be
//! listed and left unanswered. A bug in one answer is that request's error; the engine and its
//! other callers go on.

use crate::api::calls::*;
use crate::api::{Call, Caller, Line, SecretText, PROTOCOL_VERSION};
use crate::clipboard::Clipboard;
use crate::engine::EngineHandle;
use crate::error::{Error, Result};
use crate::lending::{Asker, Proof, Via};
use std::future::Future;
use std::sync::Arc;

/// What a call is answered with: the engine, the desktop's clipboard (the daemon has none),
/// and who asked.
#[derive(Clone)]
pub(crate) struct Served {
    pub engine: EngineHandle,
    pub clipboard: Option<Arc<dyn Clipboard>>,
    pub caller: Caller,
}

impl Served {
    /// Who a token would be lent to ([`crate::program`]).
    fn asker(&self, for_program: Option<&std::path::Path>) -> Asker {
        let (program, on_behalf_of) = crate::program::asking(&self.caller, for_program);
        Asker {
            program,
            on_behalf_of,
            person: false,
        }
    }

    /// The desktop app's own window (its program is the desktop's, which the kernel says).
    fn is_desktop(&self) -> bool {
        self.caller
            .exe
            .as_deref()
            .and_then(std::path::Path::file_name)
            .is_some_and(|n| n.to_string_lossy().starts_with("tokentray-desktop"))
    }

    /// What shows a person is behind an unlock or an answer.
    fn proof(&self, passphrase: Option<SecretText>) -> Proof {
        match (self.is_desktop(), passphrase) {
            (true, _) => Proof::Desktop,
            (false, Some(p)) => Proof::Passphrase(p.into_secret()),
            (false, None) => Proof::Nothing,
        }
    }
}

/// How the engine answers one call.
pub(crate) trait Answer: Call {
    fn answer(self, served: Served) -> impl Future<Output = Result<Self::Answer>> + Send;
}

/// The answer line to the call `op` written as `json`.
pub(crate) async fn line(served: &Served, op: &str, json: &str) -> Vec<u8> {
    macro_rules! route {
        (plain: [$($plain:ty),* $(,)?], window: [$($call:ty),* $(,)?]) => {
            match op {
                $(<$plain as Call>::OP => one::<$plain>(served, json).await,)*
                $(<$call as Call>::OP => one::<$call>(served, json).await,)*
                _ => super::error_line(&Error::BadRequest(format!(
                    "no call is named {}", crate::text::quoted(op, 40)
                ))),
            }
        };
    }
    crate::for_each_call!(route)
}

async fn one<C: Answer>(served: &Served, json: &str) -> Vec<u8> {
    let call: C = match serde_json::from_str(json) {
        Ok(call) => call,
        Err(e) => return super::error_line(&Error::BadRequest(e.to_string())),
    };
    let served = served.clone();
    let answered = crate::engine::isolated(async move { call.answer(served).await }).await;
    match answered.and_then(|answer| answer) {
        Ok(answer) => super::line_of::<C::Answer, ()>(&Line::Ok { answer }),
        Err(e) => super::error_line(&e),
    }
}

/// Answers one line as the socket would, for this process (the fuzz target's way in).
pub async fn answer_json(engine: &EngineHandle, json: &str) -> String {
    let served = Served {
        engine: engine.clone(),
        clipboard: None,
        caller: Caller::this_process(),
    };
    let bytes = match serde_json::from_str::<crate::api::Op>(json) {
        Ok(crate::api::Op { op }) => line(&served, &op, json).await,
        Err(e) => super::error_line(&Error::BadRequest(e.to_string())),
    };
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

/// How long a token must stay valid, as a request asks (`--min-valid`): up to the longest
/// lifetime a token is taken to have.
fn min_valid(secs: u64) -> Result<chrono::Duration> {
    crate::limits::seconds(
        "min_valid_secs (--min-valid)",
        secs,
        0,
        crate::limits::MAX_LIFETIME_SECS,
    )
    .map(crate::time::secs)
    .map_err(Error::BadRequest)
}

/// `copy` asked of an engine with no clipboard (the daemon, `--standalone`).
fn no_clipboard() -> Error {
    Error::Unsupported("only the desktop app has a clipboard to copy to".into())
}

impl Answer for Hello {
    async fn answer(self, _: Served) -> Result<Hello> {
        match self.version {
            PROTOCOL_VERSION => Ok(Hello { version: PROTOCOL_VERSION }),
            version => Err(Error::ProtocolMismatch(format!(
                "protocol version {version} is not spoken here (this engine speaks {PROTOCOL_VERSION}): use matching versions of the app and the CLI"
            ))),
        }
    }
}

impl Answer for Token {
    async fn answer(self, s: Served) -> Result<SecretText> {
        let min = min_valid(self.min_valid_secs)?;
        let via = match self.for_program {
            Some(_) => Via::Exec,
            None => self.via,
        };
        let asker = s.asker(self.for_program.as_deref());
        s.engine.may_lend(&self.name, &asker, via).await?;
        let token = match self.id_token {
            true if !self.narrow.is_empty() => {
                return Err(Error::BadRequest(
                    "an ID token is not narrowed: --scope, --audience and --resource are for access tokens".into(),
                ))
            }
            true => s.engine.get_id_token_valid_for(&self.name, min).await?,
            false => {
                let engine = &s.engine;
                engine.get_narrowed_valid_for(&self.name, &self.narrow, min).await?
            }
        };
        Ok(SecretText::from(&token))
    }
}

impl Answer for List {
    async fn answer(self, s: Served) -> Result<crate::edit::AccountList> {
        Ok(crate::edit::AccountList {
            accounts: s.engine.list(),
            problems: s.engine.problems().to_vec(),
            locked: s.engine.is_locked(),
        })
    }
}

impl Answer for Refresh {
    async fn answer(self, s: Served) -> Result<()> {
        s.engine.refresh(&self.name).await
    }
}

impl Answer for History {
    async fn answer(self, s: Served) -> Result<Vec<crate::store::HistoryEntry>> {
        let most = crate::limits::MAX_HISTORY_PAGE;
        if !(1..=most).contains(&self.limit) {
            return Err(Error::BadRequest(format!(
                "limit is {}; a page of history holds 1 to {most} entries",
                self.limit
            )));
        }
        s.engine
            .history(&self.name, self.before_id, self.limit)
            .await
    }
}

impl Answer for Detail {
    async fn answer(self, s: Served) -> Result<crate::edit::AccountDetail> {
        s.engine.detail(&self.name).await
    }
}

impl Answer for Save {
    async fn answer(self, s: Served) -> Result<()> {
        s.engine
            .save_account(&self.name, self.fields, self.editing)
            .await
    }
}

impl Answer for Test {
    async fn answer(self, s: Served) -> Result<crate::edit::TestResult> {
        s.engine.test_account(self.fields).await
    }
}

impl Answer for Discover {
    async fn answer(self, s: Served) -> Result<crate::grant::discovery::Metadata> {
        s.engine.discover(&self.issuer).await
    }
}

impl Answer for GetSettings {
    async fn answer(self, s: Served) -> Result<crate::settings::Settings> {
        Ok(s.engine.settings())
    }
}

impl Answer for SaveSettings {
    async fn answer(self, s: Served) -> Result<()> {
        s.engine.save_settings(self.settings).await
    }
}

impl Answer for Copy {
    async fn answer(self, s: Served) -> Result<u32> {
        let clipboard = s.clipboard.as_ref().ok_or_else(no_clipboard)?;
        // The copy buttons are the person's; another program may not put a token on the
        // clipboard (where it could read it) through them.
        if !s.is_desktop() {
            return Err(Error::NotAllowed(
                "only Tokentray's own window copies to the clipboard".into(),
            ));
        }
        let via = Via::WindowCopy;
        let secs =
            crate::clipboard::copy(&s.engine, clipboard.as_ref(), &self.name, &self.what, via)
                .await?;
        Ok(u32::try_from(secs).unwrap_or(u32::MAX))
    }
}

impl Answer for Import {
    async fn answer(self, s: Served) -> Result<Vec<String>> {
        s.engine.import(&self.toml).await
    }
}

impl Answer for Export {
    async fn answer(self, s: Served) -> Result<SecretText> {
        let asker = s.asker(None);
        s.engine
            .export(self.with_secrets, &asker)
            .await
            .map(SecretText::new)
    }
}

impl Answer for Remove {
    async fn answer(self, s: Served) -> Result<crate::view::Revocation> {
        s.engine.remove_account(&self.name).await
    }
}

/// Streams are answered by the connection itself (they need it); here only when asked for
/// where no stream can be served.
impl Answer for Login {
    async fn answer(self, _: Served) -> Result<()> {
        Err(Error::BadRequest("a login is answered as a stream".into()))
    }
}

impl Answer for Events {
    async fn answer(self, _: Served) -> Result<()> {
        Err(Error::BadRequest("events are answered as a stream".into()))
    }
}

impl Answer for Lend {
    async fn answer(self, s: Served) -> Result<crate::tools::Lent> {
        let min = min_valid(self.min_valid_secs)?;
        let asker = s.asker(None);
        let engine = &s.engine;
        engine
            .lend(&self.want, &self.narrow, min, &asker, self.via)
            .await
    }
}

impl Answer for Rejected {
    async fn answer(self, s: Served) -> Result<()> {
        s.engine
            .rejected(&self.want, self.token.expose())
            .await
            .map(drop)
    }
}

impl Answer for Registries {
    async fn answer(self, s: Served) -> Result<std::collections::BTreeMap<String, String>> {
        Ok(s.engine.registries())
    }
}

impl Answer for GetPublicKey {
    async fn answer(self, s: Served) -> Result<crate::engine::PublicKey> {
        s.engine.public_key(&self.name)
    }
}

impl Answer for Dpop {
    async fn answer(self, s: Served) -> Result<crate::dpop::Headers> {
        let asker = s.asker(None);
        s.engine.may_lend(&self.name, &asker, Via::Dpop).await?;
        s.engine
            .dpop_headers(&self.name, &self.method, &self.url)
            .await
    }
}

impl Answer for Lock {
    async fn answer(self, s: Served) -> Result<()> {
        s.engine.set_locked(true);
        Ok(())
    }
}

impl Answer for Unlock {
    async fn answer(self, s: Served) -> Result<()> {
        let proof = s.proof(self.passphrase);
        s.engine.unlock(&s.asker(None), proof).await
    }
}

impl Answer for Approvals {
    async fn answer(self, s: Served) -> Result<Vec<crate::lending::Approval>> {
        Ok(s.engine.approvals())
    }
}

impl Answer for crate::api::calls::Answer {
    async fn answer(self, s: Served) -> Result<()> {
        let proof = s.proof(self.passphrase);
        s.engine.answer(self.id, self.decision, proof).await
    }
}

impl Answer for Audit {
    async fn answer(self, s: Served) -> Result<Vec<crate::store::Lend>> {
        let most = crate::limits::MAX_HISTORY_PAGE;
        if !(1..=most).contains(&self.limit) {
            return Err(Error::BadRequest(format!(
                "limit is {}; the audit gives 1 to {most} entries at a time",
                self.limit
            )));
        }
        s.engine.audit_log(self.name.as_deref(), self.limit).await
    }
}

impl Answer for AwsCredential {
    async fn answer(self, s: Served) -> Result<crate::aws::Credentials> {
        let policy = s.engine.policy(&self.name)?;
        let role_arn = self.role_arn.or(policy.aws_role_arn).ok_or_else(|| {
            Error::InvalidConfig(format!(
                "{}: which role? --role-arn, or aws_role_arn in the account",
                self.name
            ))
        })?;
        let role = crate::aws::RoleRequest {
            role_arn,
            sts_url: self.sts_url.or(policy.aws_sts_url),
            duration_secs: self.duration_secs,
            session_name: self.session_name,
        };
        let asker = s.asker(None);
        s.engine.aws_credentials(&self.name, &role, &asker).await
    }
}
