//! Work that must not stop the engine when it panics: a bug in one account's refresh, in the
//! loop's look at one account, or in the answer to one request becomes an `internal` error on
//! that account or that request, and everything else goes on.

use super::{Account, EngineHandle};
use crate::error::{Error, Result};
use crate::held::Held;
use crate::view::{AccountStatus, Event};
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Runs `work` as a task of its own and waits for it; its panic is an [`Error::Internal`].
pub(crate) async fn isolated<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T> {
    tokio::spawn(work)
        .await
        .map_err(|e| match e.try_into_panic() {
            Ok(panic) => Error::Internal(said(panic.as_ref())),
            Err(e) => Error::Internal(format!("the task ended: {e}")),
        })
}

/// Runs `work` here; its panic is an [`Error::Internal`].
pub(crate) fn caught<T>(work: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(work))
        .map_err(|panic| Error::Internal(said(panic.as_ref())))
}

/// What a panic said.
fn said(panic: &(dyn std::any::Any + Send)) -> String {
    let words = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    crate::text::shown(&words, crate::text::MAX_DESCRIPTION_CHARS)
}

/// How long an account whose work panicked is left alone before it is looked at again.
const AFTER_A_BUG_SECS: u64 = 300;

impl EngineHandle {
    /// The account's work panicked: it shows the error, keeps a still-valid token, and is
    /// looked at again in 5 minutes (the engine and the other accounts are not affected).
    pub(crate) fn after_panic(&self, account: &Account, error: Error) {
        tracing::error!(account = %account.name, code = %error.code(), "{error}");
        let now = self.now();
        let again = crate::time::after(now, crate::time::secs(AFTER_A_BUG_SECS));
        {
            let mut state = account.state.held();
            state.status = match state.valid_token(now) {
                Some(_) => AccountStatus::Retrying,
                None => AccountStatus::Failing,
            };
            state.error = Some((&error).into());
            state.next_attempt = Some(again);
        }
        self.plan(&account.name, again);
        self.emit(
            Some(account),
            Event::RefreshFailed {
                account: account.name.clone(),
                code: error.code(),
                message: error.message(),
            },
        );
    }
}
