//! The contracts the window shares with the engine, as data: every grant's settings schema,
//! the status words, the error codes with their class and exit status, and examples of how
//! durations are written. Exported to `ui/src/lib/bindings/contracts.json` beside the ts-rs
//! types (CI fails when it drifts), so the UI renders and labels from the engine's one
//! definition instead of a copy.

use crate::code::{ErrorClass, ErrorCode};
use crate::grant::GrantKind;
use crate::schema::GrantSchema;
use crate::view::AccountStatus;
use serde::Serialize;

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct Contracts {
    pub grants: Vec<GrantSchema>,
    /// Most urgent first.
    pub statuses: Vec<StatusContract>,
    pub errors: Vec<ErrorContract>,
    /// `[seconds, as written]`, for the window's countdown formatter to agree with.
    #[cfg_attr(feature = "ts", ts(type = "Array<[number, string]>"))]
    pub durations: Vec<(u64, String)>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct StatusContract {
    pub status: AccountStatus,
    /// In words, for any grant.
    pub label: String,
    /// In words, per grant where it differs ("needs login" or "refused").
    pub label_by_grant: Vec<(GrantKind, String)>,
    pub needs_person: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct ErrorContract {
    pub code: ErrorCode,
    pub class: ErrorClass,
    pub exit_status: u8,
}

pub fn contracts() -> Contracts {
    Contracts {
        grants: crate::schema::grants().to_vec(),
        statuses: AccountStatus::ALL
            .iter()
            .copied()
            .map(|status| StatusContract {
                status,
                label: status.label(None).into(),
                label_by_grant: GrantKind::ALL
                    .iter()
                    .copied()
                    .map(|g| (g, status.label(Some(g))))
                    .filter(|(_, l)| *l != status.label(None))
                    .map(|(g, l)| (g, l.into()))
                    .collect(),
                needs_person: status.needs_person(),
            })
            .collect(),
        errors: ErrorCode::ALL
            .iter()
            .copied()
            .map(|code| ErrorContract {
                code,
                class: code.class(),
                exit_status: code.exit_status(),
            })
            .collect(),
        durations: crate::duration::EXAMPLES
            .iter()
            .map(|&s| (s, crate::duration::human(s)))
            .collect(),
    }
}

#[cfg(all(test, feature = "ts"))]
mod tests {
    /// Named like ts-rs's own export tests, so `cargo test --features ts export_bindings`
    /// (CI's drift check) writes it with the types.
    #[test]
    fn export_bindings_contracts() {
        let dir = std::env::var("TS_RS_EXPORT_DIR").expect("set by .cargo/config.toml");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let path = root.join(dir).join("contracts.json");
        let text = serde_json::to_string_pretty(&super::contracts()).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
}
