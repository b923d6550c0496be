//! Copying to the desktop's clipboard: what may be copied (a fresh token, an account's setup,
//! the public half of its key) and for how long a token stays there. The clipboard itself is
//! the desktop app's: its resident process owns it, so a copy outlives the window that asked
//! for it (on X11 a clipboard's text goes when the process that holds it exits).

use crate::engine::EngineHandle;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the window (or the tray menu) asks to copy from an account.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Copyable {
    /// A valid access token, refreshed first if due: the one secret that is copied.
    Token,
    /// One of its "Use with…" setups, by tool (`shell`, `kubectl`, `git`, `docker`).
    Snippet { tool: String },
    /// Its public key, to register: `jwk`, `jwks` or `certificate`.
    PublicKey { part: String },
}

/// A clipboard that can be written and, later, cleared.
pub trait Clipboard: Send + Sync {
    /// Puts `text` on the clipboard; after `clear_after`, when given, clears it if it still
    /// holds `text` (the person may have copied something else meanwhile). A `secret` is
    /// marked for clipboard managers to leave out of their history, and not handed to one
    /// when the app quits.
    fn put(&self, text: String, secret: bool, clear_after: Option<Duration>) -> Result<()>;
}

/// Copies `what` of account `name`; answers how many seconds until the clipboard is cleared
/// (0: never, as for anything that is not a secret).
pub async fn copy(
    engine: &EngineHandle,
    clipboard: &dyn Clipboard,
    name: &str,
    what: &Copyable,
    via: crate::lending::Via,
) -> Result<u64> {
    let (text, secret) = match what {
        Copyable::Token => {
            // The person's own copy: lent whatever lend_to says, but not while locked.
            engine
                .may_lend(name, &crate::lending::Asker::person(), via)
                .await?;
            (engine.get_token(name).await?.expose().to_string(), true)
        }
        Copyable::Snippet { tool } => {
            let snippet = engine
                .snippets(name)?
                .into_iter()
                .find(|s| &s.tool == tool)
                .ok_or_else(|| Error::NotFound(format!("{name}: no setup for {tool}")))?;
            (snippet.text, false)
        }
        Copyable::PublicKey { part } => (engine.public_key(name)?.part(part)?, false),
    };
    let delay = if secret {
        engine.settings().clipboard_clear_secs
    } else {
        0
    };
    clipboard.put(
        text,
        secret,
        (delay > 0).then(|| Duration::from_secs(delay)),
    )?;
    Ok(delay)
}
