//! The app's settings, kept in the store's `settings` table: defaults for every account (a
//! per-account `refresh_margin_secs` or `warn_before_secs` overrides them) and the desktop's
//! own preferences, which the engine only keeps for it.

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Warn this many seconds before a token that cannot renew itself expires.
    #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
    pub warn_before_secs: Vec<u64>,
    /// Refresh at least this long before a token expires.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub refresh_margin_secs: u64,
    /// A copied token is cleared from the clipboard after this many seconds (0: never).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub clipboard_clear_secs: u64,
    /// Start Tokentray at login (the desktop applies it).
    pub autostart: bool,
    /// A command run for what deserves a person's attention, for accounts without their own
    /// `on_event` (empty: none).
    pub on_event: Vec<String>,
    /// The language of the window, the tray and notifications; none: the system's.
    pub language: Option<crate::i18n::Lang>,
    /// A program's first use of an account asks the person (accounts may say otherwise with
    /// their own `confirm`).
    pub confirm: bool,
    /// Lock when the screen locks (the session bus's screensaver, logind's Lock).
    pub lock_on_screen_lock: bool,
    /// Lock after this many seconds without a lend (0: never).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub lock_after_idle_secs: u64,
}

/// The longest idle time before locking: a week.
pub const MAX_IDLE_SECS: u64 = 7 * 86_400;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            warn_before_secs: vec![7 * 86_400, 86_400, 3_600],
            refresh_margin_secs: crate::timing::DEFAULT_MARGIN.num_seconds() as u64,
            clipboard_clear_secs: 30,
            autostart: false,
            on_event: vec![],
            language: None,
            confirm: false,
            lock_on_screen_lock: true,
            lock_after_idle_secs: 0,
        }
    }
}

impl Settings {
    /// These settings with every value that [`Settings::check`] refuses put back to its
    /// default, each one told to `said`.
    pub fn bounded(mut self, mut said: impl FnMut(String)) -> Settings {
        use crate::limits::{seconds, thresholds, MAX_MARGIN_SECS};
        let defaults = Settings::default();
        if let Err(problem) = thresholds("warn_before_secs", &self.warn_before_secs) {
            said(problem);
            self.warn_before_secs = defaults.warn_before_secs;
        }
        let margin = seconds(
            "refresh_margin_secs",
            self.refresh_margin_secs,
            0,
            MAX_MARGIN_SECS,
        );
        if let Err(problem) = margin {
            said(problem);
            self.refresh_margin_secs = defaults.refresh_margin_secs;
        }
        let clear = seconds("clipboard_clear_secs", self.clipboard_clear_secs, 0, 3_600);
        if let Err(problem) = clear {
            said(problem);
            self.clipboard_clear_secs = defaults.clipboard_clear_secs;
        }
        if self.on_event.first().is_some_and(String::is_empty) {
            said("on_event names no program".into());
            self.on_event = vec![];
        }
        let idle = seconds(
            "lock_after_idle_secs",
            self.lock_after_idle_secs,
            0,
            MAX_IDLE_SECS,
        );
        if let Err(problem) = idle {
            said(problem);
            self.lock_after_idle_secs = defaults.lock_after_idle_secs;
        }
        self
    }

    /// Refuses values that would make no sense, with a message for the form.
    pub fn check(&self) -> Result<(), String> {
        use crate::limits::{seconds, thresholds, MAX_MARGIN_SECS};
        thresholds("warn_before_secs", &self.warn_before_secs)?;
        seconds(
            "refresh_margin_secs",
            self.refresh_margin_secs,
            0,
            MAX_MARGIN_SECS,
        )?;
        if self.on_event.first().is_some_and(String::is_empty) {
            return Err("on_event must name a program first".into());
        }
        seconds("clipboard_clear_secs", self.clipboard_clear_secs, 0, 3_600)?;
        seconds(
            "lock_after_idle_secs",
            self.lock_after_idle_secs,
            0,
            MAX_IDLE_SECS,
        )?;
        Ok(())
    }
}
