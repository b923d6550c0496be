//! Logins a person takes part in: authorization code + PKCE in the system browser, or the
//! device flow. The engine never opens a browser or draws a code itself: it hands a
//! [`LoginPrompt`] to whoever asked (the window, the CLI over the socket) and waits.

use serde::{Deserialize, Serialize};

/// What the person has to do now.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "prompt", rename_all = "snake_case")]
pub enum LoginPrompt {
    /// Open this URL in the system browser and sign in there.
    OpenBrowser { url: String },
    /// Go to `verification_uri` (on any device) and enter `user_code`.
    DeviceCode {
        user_code: String,
        verification_uri: String,
        /// The URI with the code in it, for a QR code or a click.
        verification_uri_complete: Option<String>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        expires_in_secs: u64,
    },
}

/// A login's prompt, as the desktop passes it to its window.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize)]
pub struct LoginPrompted {
    pub account: String,
    pub prompt: LoginPrompt,
    /// An SVG QR code of the complete verification URI, for a phone.
    pub qr_svg: Option<String>,
}

/// How a login ended: `error` is `None` when it succeeded.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Serialize)]
pub struct LoginFinished {
    pub account: String,
    pub error: Option<crate::view::ErrorView>,
}
