//! Tokentray's engine: it knows accounts and grants, keeps every token fresh in the
//! background, and publishes what happens on an event bus. It never imports tauri: the
//! desktop shell, the CLI and the daemon are all clients of [`engine::EngineHandle`].
//! docs/architecture.md has the map of the modules and the flow of data.

// Time arithmetic that could panic is refused in the engine (src/time.rs says why); the
// tests may panic, that is what they are for.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod account;
pub mod api;
pub mod aws;
pub mod client;
pub mod clipboard;
pub mod clock;
pub mod code;
pub mod contracts;
pub mod dpop;
pub mod duration;
pub mod edit;
pub mod engine;
pub mod error;
pub mod grant;
mod held;
pub mod home;
mod hooks;
pub mod http;
pub mod i18n;
pub mod jws;
pub mod jwt;
pub mod lending;
pub mod limits;
pub mod lock;
pub mod login;
pub mod narrow;
pub mod notices;
pub mod profile;
pub mod program;
pub mod redact;
mod repeats;
pub mod schema;
pub mod screen;
pub mod secret;
pub mod server;
pub mod settings;
pub mod store;
pub mod summary;
pub mod text;
pub mod time;
pub mod timing;
pub mod token;
pub mod tools;
pub mod transition;
pub mod transport;
pub mod trust;
pub mod vault;
pub mod view;
#[cfg(windows)]
mod windows_os;
mod words;

pub use account::AccountConfig;
pub use clock::{Clock, SystemClock};
pub use code::{ErrorClass, ErrorCode, ErrorView};
pub use engine::EngineHandle;
pub use error::{Error, Result};
pub use grant::{GrantConfig, GrantKind};
pub use profile::Profile;
pub use secret::Secret;
pub use tokio_util::sync::CancellationToken;
pub use view::{AccountStatus, AccountView, Event, Revocation};
