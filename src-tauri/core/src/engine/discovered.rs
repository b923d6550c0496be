//! Accounts given by their issuer alone: the endpoints they do not name come from the
//! issuer's metadata (OIDC discovery or RFC 8414), kept in memory and in the store with the
//! time it was fetched, fetched again when it is a day old or when a request to one of its
//! endpoints answers 404. Every grant call of the engine goes through [`EngineHandle::resolved`].

use super::EngineHandle;
use crate::error::Result;
use crate::grant::discovery::Metadata;
use crate::grant::GrantConfig;
use crate::held::Held;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// Metadata older than this is fetched again.
const FRESH_FOR_SECS: u64 = 86_400;

/// The issuers' metadata the engine holds.
#[derive(Default)]
pub(crate) struct Discovered(Mutex<HashMap<String, (Metadata, DateTime<Utc>)>>);

impl EngineHandle {
    /// The grant with its issuer's endpoints filled in (as it is when it names no issuer);
    /// `again` fetches the metadata anew (an endpoint of it answered 404).
    pub(crate) async fn resolved(&self, grant: &GrantConfig, again: bool) -> Result<GrantConfig> {
        let Some(issuer) = grant.issuer() else {
            return Ok(grant.clone());
        };
        let now = self.now();
        let fresh =
            |at: &DateTime<Utc>| crate::time::between(*at, now) < crate::time::secs(FRESH_FOR_SECS);
        let held = self.inner.discovered.0.held().get(issuer).cloned();
        let mut meta = held.filter(|(_, at)| !again && fresh(at)).map(|(m, _)| m);
        if meta.is_none() && !again {
            if let Some(store) = self.store() {
                if let Some((kept, at)) = store.discovered(issuer).await? {
                    if fresh(&at) {
                        self.inner
                            .discovered
                            .0
                            .held()
                            .insert(issuer.to_string(), (kept.clone(), at));
                        meta = Some(kept);
                    }
                }
            }
        }
        let meta = match meta {
            Some(meta) => meta,
            None => {
                let found = crate::grant::discovery::discover(self.grant_context(), issuer).await?;
                tracing::info!(issuer, "discovered");
                if let Some(store) = self.store() {
                    store.discover_kept(issuer, &found, now).await?;
                }
                self.inner
                    .discovered
                    .0
                    .held()
                    .insert(issuer.to_string(), (found.clone(), now));
                found
            }
        };
        Ok(grant.with_discovered(&meta))
    }
}
