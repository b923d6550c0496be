//! Tokentray's engine: it knows accounts and grants, keeps every token fresh in the
//! background, and publishes what happens on an event bus. It never imports tauri: the
//! desktop shell, the CLI and the daemon are all clients of [`engine::EngineHandle`].

pub mod account;
pub mod clock;
pub mod edit;
pub mod engine;
pub mod error;
pub mod grant;
pub mod home;
pub mod http;
#[cfg(unix)]
pub mod ipc;
pub mod jwt;
pub mod lock;
pub mod login;
pub mod notices;
pub mod schedule;
pub mod scheduler;
pub mod secret;
pub mod settings;
pub mod store;
pub mod summary;
pub mod token;
pub mod vault;

pub use account::{AccountConfig, Profile};
pub use clock::{Clock, SystemClock};
pub use engine::{AccountStatus, AccountView, EngineHandle, Event};
pub use error::{Error, Result};
pub use grant::GrantConfig;
pub use secret::Secret;
pub use tokio_util::sync::CancellationToken;
