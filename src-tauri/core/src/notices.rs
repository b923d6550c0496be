//! What is worth a desktop notification, said once: an expiry warning, a refresh that keeps
//! failing after the token ran out (retries exhausted), a login needed, an expired token. The
//! desktop shows what this returns; the decisions (and the "once") live here, where they are
//! tested without a desktop.

use crate::duration::human_in;
use crate::i18n::{s, text, Lang};
use crate::view::{AccountStatus, Event};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

impl Notice {
    /// As a desktop shows it: no control characters and not too long, and, where the
    /// notification server may render the body's markup (the freedesktop spec lets it draw
    /// `<b>` and `<a href>`; `markup` then), `& < >` escaped, so a server's words cannot
    /// put a link of theirs in front of the person. The title is plain text everywhere.
    pub fn for_desktop(&self, markup: bool) -> Notice {
        let body = crate::text::one_line(&self.body, 300);
        let body = match markup {
            true => body
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;"),
            false => body,
        };
        Notice {
            title: crate::text::one_line(&self.title, 80),
            body,
        }
    }
}

/// The words of a first use waiting for the person: a title, a body, and the labels of the
/// three answers (allow once, allow for 8 hours, deny). An unlock asked from a terminal is
/// one too (`via` "unlock").
pub fn approval(approval: &crate::lending::Approval, lang: Lang) -> (Notice, [String; 3]) {
    let program = approval.program.name.clone();
    let path = approval.program.path.display().to_string();
    let args = [
        ("account", s(&approval.account)),
        ("program", s(&program)),
        ("path", s(&path)),
        ("via", s(&approval.via)),
    ];
    let (title, body) = match approval.via.as_str() {
        "unlock" => ("notice-unlock-title", "notice-unlock-body"),
        _ => ("notice-approval-title", "notice-approval-body"),
    };
    let notice = Notice {
        title: text(lang, title, &args),
        body: text(lang, body, &args),
    };
    let answers = [
        "notice-approval-once",
        "notice-approval-hours",
        "notice-approval-deny",
    ]
    .map(|id| text(lang, id, &args));
    (notice, answers)
}

/// The same ask where a notification's buttons cannot be heard by the resident process
/// (Windows' toasts and macOS' notifications answer only an app registered to be woken by
/// them): the words, and that the answers are in the tray's menu.
pub fn approval_in_tray(approval: &crate::lending::Approval, lang: Lang) -> Notice {
    let (notice, _) = self::approval(approval, lang);
    Notice {
        title: notice.title,
        body: format!(
            "{} {}",
            notice.body,
            text(lang, "notice-approval-in-tray", &[])
        ),
    }
}

/// The accounts window could not open because the system lacks its web view (WebView2 on a
/// Windows without it): what is missing, where to get it, and what works meanwhile.
pub fn no_webview(lang: Lang) -> Notice {
    Notice {
        title: text(lang, "notice-no-webview-title", &[]),
        body: text(lang, "notice-no-webview-body", &[]),
    }
}

/// Remembers what was said, until the account recovers or changes.
#[derive(Default)]
pub struct Notices {
    said: HashSet<(String, &'static str)>,
    /// The language they are said in (the desktop sets it from the settings).
    pub lang: Lang,
}

impl Notices {
    /// The notice for `event`, if it deserves one that was not given yet. `status` is the
    /// account's status after the event.
    pub fn on(
        &mut self,
        event: &Event,
        status: Option<AccountStatus>,
        now: DateTime<Utc>,
    ) -> Option<Notice> {
        let lang = self.lang;
        let say = |id: &str, account: &str, message: &str| {
            text(
                lang,
                id,
                &[("account", s(account)), ("message", s(message))],
            )
        };
        let (account, kind, title, body) = match event {
            Event::Refreshed { account, .. } | Event::AccountChanged { account } => {
                // Recovered or edited: whatever comes next is news again.
                self.said.retain(|(a, _)| a != account);
                return None;
            }
            Event::ExpiryWarning {
                account,
                credential,
                expires_at,
                ..
            } => {
                // Each threshold is sent once by the engine already; keep them all.
                let left = human_in(
                    lang,
                    crate::time::between(now, *expires_at).num_seconds().max(0) as u64,
                );
                let at = expires_at.format("%Y-%m-%d %H:%M UTC").to_string();
                let credential = crate::i18n::credential(lang, credential);
                let args = [
                    ("account", s(account)),
                    ("credential", s(&credential)),
                    ("left", s(&left)),
                    ("at", s(&at)),
                ];
                let body = text(lang, "notice-expiry-body", &args);
                let title = say("notice-expiry-title", account, "");
                return Some(Notice { title, body });
            }
            Event::RefreshFailed {
                account,
                code,
                message,
            } if status == Some(AccountStatus::Failing) => (
                account,
                "failing",
                say("notice-failing-title", account, ""),
                say(
                    "notice-failing-body",
                    account,
                    &said(code.as_str(), message),
                ),
            ),
            Event::RefreshFailed { .. } => return None,
            // The desktop asks these with actions of its own ([`approval`]); the lock shows in
            // the tray.
            Event::ApprovalNeeded { .. }
            | Event::ApprovalAnswered { .. }
            | Event::LockChanged { .. } => return None,
            Event::LendRefused {
                account,
                program,
                path,
                outcome,
            } => {
                let why = text(lang, &format!("notice-why-{outcome}"), &[]);
                let args = [
                    ("account", s(account)),
                    ("program", s(program)),
                    ("path", s(path)),
                    ("why", s(&why)),
                ];
                (
                    account,
                    "refused",
                    say("notice-refused-title", account, ""),
                    text(lang, "notice-refused-body", &args),
                )
            }
            Event::RenewFailed {
                account,
                code,
                message,
            } => (
                account,
                "renew",
                say("notice-renew-title", account, ""),
                say(
                    "notice-renew-body",
                    account,
                    &capitalized(&said(code.as_str(), message)),
                ),
            ),
            // Never signed in yet: the person is adding it right now, or chose not to.
            Event::NeedsReauth { code, .. } if *code == crate::ErrorCode::LoginRequired => {
                return None
            }
            Event::NeedsReauth {
                account,
                code,
                message,
            } => (
                account,
                "reauth",
                say("notice-reauth-title", account, ""),
                say(
                    "notice-reauth-body",
                    account,
                    &capitalized(&said(code.as_str(), message)),
                ),
            ),
            Event::Expired { account, .. } => (
                account,
                "expired",
                say("notice-expired-title", account, ""),
                say("notice-expired-body", account, ""),
            ),
        };
        self.said
            .insert((account.clone(), kind))
            .then_some(Notice { title, body })
    }
}

/// The error's message, with its code when the message does not already name it.
fn said(code: &str, message: &str) -> String {
    if message.contains(code) {
        message.to_string()
    } else {
        format!("{message} ({code})")
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(account: &str) -> Event {
        Event::RefreshFailed {
            account: account.into(),
            code: crate::ErrorCode::Network,
            message: "refused".into(),
        }
    }

    #[test]
    fn a_failing_account_is_said_once_until_it_recovers() {
        let mut n = Notices::default();
        let t = chrono::DateTime::UNIX_EPOCH;
        // Retrying while the old token is still valid: nothing to say yet.
        assert_eq!(n.on(&failed("a"), Some(AccountStatus::Retrying), t), None);
        let first = n.on(&failed("a"), Some(AccountStatus::Failing), t).unwrap();
        assert!(first.body.contains("refused (network)"), "{first:?}");
        assert_eq!(n.on(&failed("a"), Some(AccountStatus::Failing), t), None);
        // Another account is its own story.
        assert!(n
            .on(&failed("b"), Some(AccountStatus::Failing), t)
            .is_some());
        let refreshed = Event::Refreshed {
            account: "a".into(),
            expires_at: None,
        };
        assert_eq!(n.on(&refreshed, Some(AccountStatus::Ok), t), None);
        assert!(n
            .on(&failed("a"), Some(AccountStatus::Failing), t)
            .is_some());
    }

    #[test]
    fn an_ask_without_buttons_says_who_asks_and_where_to_answer() {
        let ask = crate::lending::Approval {
            id: 7,
            account: "work-api".into(),
            program: crate::program::Program {
                name: "curl.exe".into(),
                path: r"C:\Tools\curl.exe".into(),
                pid: Some(42),
            },
            on_behalf_of: None,
            via: "token".into(),
        };
        let mut said = HashSet::new();
        for lang in [Lang::En, Lang::Nb, Lang::Ru] {
            let with_buttons = approval(&ask, lang).0;
            let in_tray = approval_in_tray(&ask, lang);
            assert_eq!(in_tray.title, with_buttons.title);
            assert!(in_tray.body.starts_with(&with_buttons.body), "{in_tray:?}");
            for named in ["work-api", "curl.exe", r"C:\Tools\curl.exe"] {
                assert!(in_tray.body.contains(named), "{lang:?}: {in_tray:?}");
            }
            let hint = &in_tray.body[with_buttons.body.len()..];
            assert!(hint.trim().len() > 10, "{lang:?}: no hint in {in_tray:?}");
            said.insert(hint.to_string());
        }
        assert_eq!(said.len(), 3, "each language says it in its own words");
    }

    #[test]
    fn a_missing_webview_says_what_to_install_and_where() {
        for lang in [Lang::En, Lang::Nb, Lang::Ru] {
            let said = no_webview(lang).for_desktop(false);
            assert!(said.body.contains("WebView2"), "{lang:?}: {said:?}");
            assert!(
                said.body
                    .contains("https://developer.microsoft.com/microsoft-edge/webview2/"),
                "{lang:?}: {said:?}"
            );
            assert!(!said.title.is_empty());
        }
        assert_ne!(no_webview(Lang::En).title, no_webview(Lang::Ru).title);
    }

    #[test]
    fn notices_are_said_in_the_chosen_language() {
        let mut n = Notices {
            lang: Lang::Ru,
            ..Notices::default()
        };
        let t = chrono::DateTime::UNIX_EPOCH;
        let warning = Event::ExpiryWarning {
            account: "gh".into(),
            credential: "refresh token".into(),
            expires_at: t + chrono::Duration::seconds(3 * 3_600 + 60),
            threshold_secs: 86_400,
        };
        let notice = n.on(&warning, None, t).unwrap();
        assert_eq!(notice.title, "gh: скоро истечёт");
        assert!(
            notice.body.starts_with(
                "gh: токен обновления истекает через 3 ч 01 мин (1970-01-01 03:01 UTC)."
            ),
            "{notice:?}"
        );
        n.lang = Lang::Nb;
        let notice = n.on(&failed("a"), Some(AccountStatus::Failing), t).unwrap();
        assert_eq!(notice.title, "a: ingen gyldig token");
        assert!(notice.body.contains("refused (network)"), "{notice:?}");
    }

    #[test]
    fn reauth_and_expiry_say_what_to_do() {
        let mut n = Notices::default();
        let t = chrono::DateTime::UNIX_EPOCH;
        let refused = Event::NeedsReauth {
            account: "gh".into(),
            code: crate::ErrorCode::InvalidGrant,
            message: "the token server refused: invalid_grant (revoked)".into(),
        };
        let notice = n.on(&refused, Some(AccountStatus::NeedsReauth), t).unwrap();
        assert_eq!(notice.title, "gh needs you");
        assert_eq!(
            notice.body,
            "The token server refused: invalid_grant (revoked). Log in again or fix the account in Tokentray."
        );
        assert_eq!(n.on(&refused, Some(AccountStatus::NeedsReauth), t), None);
        let never_signed_in = Event::NeedsReauth {
            account: "new".into(),
            code: crate::ErrorCode::LoginRequired,
            message: "log in to this account first".into(),
        };
        assert_eq!(
            n.on(&never_signed_in, Some(AccountStatus::NeedsReauth), t),
            None
        );

        // The warning says how long is left, not which threshold was crossed.
        let warning = |left: i64| Event::ExpiryWarning {
            account: "pat".into(),
            credential: "token".into(),
            expires_at: t + chrono::Duration::seconds(left),
            threshold_secs: 7 * 86_400,
        };
        let mut said = |left| n.on(&warning(left), None, t).unwrap().body;
        assert!(said(2 * 86_400 + 5 * 3_600)
            .contains("pat's token expires in 2d 5h (1970-01-03 05:00 UTC)"));
        assert!(said(86_400).contains("expires in 1d 0h ("));
        assert!(said(3_599).contains("expires in 59m 59s"));
    }

    #[test]
    fn a_servers_markup_and_control_characters_never_reach_the_desktop() {
        let notice = Notice {
            title: "api\u{1b}[31m needs you".into(),
            body: format!(
                "<b>Urgent</b> <a href=\"smb://evil/share\">log in again</a> & more\n{}",
                "x".repeat(1000)
            ),
        };
        let shown = notice.for_desktop(true);
        assert!(
            shown
                .body
                .starts_with("&lt;b&gt;Urgent&lt;/b&gt; &lt;a href=\"smb://evil/share\"&gt;"),
            "{}",
            shown.body
        );
        assert!(shown.body.contains("&amp; more x"), "{}", shown.body);
        assert!(!shown.body.contains('<') && !shown.body.contains('\n'));
        assert!(shown.body.chars().count() < 400);
        assert_eq!(shown.title, "api [31m needs you");
        // Where nothing renders markup, the words stay as they are.
        assert!(notice.for_desktop(false).body.starts_with("<b>Urgent</b>"));
    }
}
