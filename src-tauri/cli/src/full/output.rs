//! What the commands print: tables and details for people (in the system's language where
//! the catalogs have the words), JSON for programs, and a login's prompts on stderr.

use tokentray_cli::{out, outln};
use tokentray_core::duration::{human, relative, relative_in};
use tokentray_core::engine::PublicKey;
use tokentray_core::i18n::{self, word, Lang};
use tokentray_core::login::LoginPrompt;
use tokentray_core::store::HistoryEntry;
use tokentray_core::{AccountView, Revocation};

pub mod lending;

/// A value as pretty JSON.
fn json<T: ?Sized + serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

pub fn list(accounts: &[AccountView], as_json: bool) {
    if as_json {
        outln!("{}", json(&accounts));
    } else {
        let now = now();
        // In the system's language (the JSON form is for programs, and stays as it is).
        let lang = Lang::chosen(None);
        let head = |id| word(lang, id);
        outln!(
            "{:<28} {:<20} {:<18} {:<24} {}",
            head("cli-head-account"),
            head("cli-head-grant"),
            head("cli-head-status"),
            head("cli-head-expires"),
            head("cli-head-runs-out"),
        );
        for a in accounts {
            let mut expires = relative_in(lang, a.expires_at, now);
            if a.expiry_assumed {
                expires = format!("{expires} {}", head("cli-assumed"));
            }
            outln!(
                "{:<28} {:<20} {:<18} {:<24} {}",
                a.name,
                a.grant,
                a.status.label_in(lang, Some(a.grant)),
                expires,
                runs_out(a, now, lang)
            );
        }
    }
}

pub fn status(a: &AccountView, as_json: bool) {
    if as_json {
        outln!("{}", json(a));
    } else {
        let now = now();
        outln!("account:       {}", a.name);
        outln!("grant:         {}", a.grant);
        outln!("status:        {}", a.label());
        let assumed = match a.expiry_assumed {
            true => " (assumed: the server stated no lifetime; default_expires_in)",
            false => "",
        };
        outln!("expires:       {}{assumed}", relative(a.expires_at, now));
        if let Some(c) = &a.credential {
            let how = match c.renewed_by_command {
                true => "its renew_command renews it before then",
                false => "Tokentray cannot renew it",
            };
            outln!("runs out:      {} ({how})", runs_out(a, now, Lang::En));
        }
        outln!(
            "last refresh:  {}",
            a.last_refresh
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        );
        outln!(
            "next refresh:  {}",
            a.next_refresh
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "-".into())
        );
        if let Some(scope) = &a.scope {
            outln!("scope:         {scope}");
        }
        if let Some(e) = &a.error {
            outln!("error:         [{}] {}", e.code, e.message);
        }
    }
}

pub fn history(entries: &[HistoryEntry], as_json: bool) {
    if as_json {
        outln!("{}", json(&entries));
    } else {
        outln!(
            "{:<26} {:<10} {:>8}  DETAIL",
            "STARTED",
            "OUTCOME",
            "LATENCY"
        );
        for h in entries {
            let mut detail = match (&h.error_code, &h.error_message) {
                (Some(code), Some(message)) => format!("[{code}] {message}"),
                _ => h
                    .expires_at
                    .map(|t| format!("expires {}", t.to_rfc3339()))
                    .unwrap_or_default(),
            };
            // Team mode: which engine did it.
            if let Some(engine) = &h.engine {
                detail = format!("{detail} (by {engine})");
            }
            // A narrower token for one call, not the account's own.
            if let Some(asked) = &h.narrowed {
                detail = format!("narrower token: {asked}; {detail}");
            }
            outln!(
                "{:<26} {:<10} {:>6}ms  {detail}",
                h.started_at.to_rfc3339(),
                h.outcome,
                h.latency_ms
            );
        }
    }
}

/// The token's JWT header and claims (decoded, never verified).
pub fn decoded(name: &str, token: &str, as_json: bool) {
    let Some(jwt) = tokentray_core::jwt::decode(token) else {
        if as_json {
            outln!("null");
        } else {
            outln!("{name}: the token is opaque (not a JWT); nothing to decode");
        }
        return;
    };
    if as_json {
        outln!("{}", json(&jwt));
    } else {
        outln!("header: {}", json(&jwt.header));
        outln!("claims: {}", json(&jwt.claims));
        if let Some(exp) = jwt.expires_at() {
            outln!(
                "expires: {} ({})",
                exp.to_rfc3339(),
                relative(Some(exp), now())
            );
        }
        outln!("(decoded, not verified: never trust it for authorization)");
    }
}

pub fn removed(name: &str, revocation: Revocation) {
    match revocation {
        Revocation::Revoked => {
            outln!("{name}: tokens revoked at the server; account removed")
        }
        Revocation::NotOffered => {
            outln!("{name}: removed (it names no revocation_url, so its tokens were not revoked)")
        }
        Revocation::NothingHeld => outln!("{name}: removed (no token was held)"),
        Revocation::Failed(e) => {
            outln!("{name}: removed");
            eprintln!(
                "warning: the server did not revoke its tokens: error[{}]: {}",
                e.code, e.message
            );
        }
    }
}

/// The public key to register, in the part asked for or all of them.
pub fn key(
    name: &str,
    key: &PublicKey,
    [jwk, jwks, cert]: [bool; 3],
) -> Result<(), tokentray_core::ErrorView> {
    let view = |e: tokentray_core::Error| tokentray_core::ErrorView::from(&e);
    let only = [(jwk, "jwk"), (jwks, "jwks"), (cert, "certificate")];
    match only.iter().find(|(asked, _)| *asked) {
        Some((_, part)) => {
            let text = key.part(part).map_err(view)?;
            outln!("{}", text.trim_end());
        }
        None => {
            let text = |part| key.part(part).map_err(view);
            outln!("# {name}: the public key to register at the server (the private key stays in Tokentray)");
            outln!("# JWK (thumbprint {}):\n{}", key.thumbprint, text("jwk")?);
            outln!("# JWK Set:\n{}", text("jwks")?);
            if let Some(pem) = &key.certificate {
                out!("# Self-signed certificate (CN = the client ID, two years):\n{pem}");
            }
        }
    }
    Ok(())
}

/// An event in a line, with the time of its hearing: `2026-11-23T20:30:00Z bot: secret expires in 6d 23h (…)`.
pub fn describe(event: &tokentray_core::Event, now: chrono::DateTime<chrono::Utc>) -> String {
    use tokentray_core::Event::*;
    let (account, what) = match event {
        Refreshed {
            account,
            expires_at,
        } => (
            account,
            format!(
                "refreshed; the token expires {}",
                relative(*expires_at, now)
            ),
        ),
        RefreshFailed {
            account,
            code,
            message,
        } => (
            account,
            format!("refresh failed, retrying: error[{code}]: {message}"),
        ),
        NeedsReauth {
            account,
            code,
            message,
        } => (account, format!("needs you: error[{code}]: {message}")),
        ExpiryWarning {
            account,
            credential,
            expires_at,
            ..
        } => (
            account,
            format!(
                "its {credential} expires {} ({}); it cannot be renewed here",
                relative(Some(*expires_at), now),
                expires_at.to_rfc3339()
            ),
        ),
        RenewFailed {
            account,
            code,
            message,
        } => (
            account,
            format!("renewing failed, retrying: error[{code}]: {message}"),
        ),
        Expired {
            account,
            expired_at,
        } => (account, format!("expired at {}", expired_at.to_rfc3339())),
        AccountChanged { account } => (account, "added, changed or removed".into()),
        LendRefused {
            account,
            program,
            path,
            outcome,
        } => (account, format!("{program} ({path}) was {outcome}")),
        ApprovalNeeded { approval } => {
            let asked = match approval.account.as_str() {
                "" => "to unlock Tokentray".to_string(),
                account => format!("for {account}'s token ({})", approval.via),
            };
            let what = format!(
                "approval {} waits: {} ({}) asks {asked}; `tokentray approve {}` or `tokentray deny {}`",
                approval.id,
                approval.program.name,
                approval.program.path.display(),
                approval.id,
                approval.id
            );
            return format!("{} {what}", now.format("%Y-%m-%dT%H:%M:%SZ"));
        }
        ApprovalAnswered { account, id } => (account, format!("approval {id} answered")),
        LockChanged { locked } => {
            let what = match locked {
                true => "locked: nothing is lent",
                false => "unlocked",
            };
            return format!("{} {what}", now.format("%Y-%m-%dT%H:%M:%SZ"));
        }
    };
    format!("{} {account}: {what}", now.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// The credential that runs out with no way to renew it: `secret in 2d 5h`, or `-`.
pub fn runs_out(a: &AccountView, now: chrono::DateTime<chrono::Utc>, lang: Lang) -> String {
    match &a.credential {
        Some(c) => format!(
            "{} {}",
            i18n::credential(lang, &c.name),
            relative_in(lang, Some(c.expires_at), now)
        ),
        None => "-".into(),
    }
}

/// Tells the person what to do for a login, on stderr (stdout stays for results).
pub fn show_prompt(prompt: &LoginPrompt) {
    match prompt {
        LoginPrompt::OpenBrowser { url } => {
            eprintln!("Opening your browser to sign in. If it does not open, visit:\n\n  {url}\n");
            if let Err(e) = open_browser(url) {
                eprintln!("(could not start a browser: {e})");
            }
        }
        LoginPrompt::DeviceCode {
            user_code,
            verification_uri,
            verification_uri_complete,
            expires_in_secs,
        } => {
            eprintln!(
                "To sign in, visit {verification_uri} on any device and enter the code\n\n    {user_code}\n"
            );
            if let Some(complete) = verification_uri_complete {
                if let Ok(qr) = qrcode::QrCode::new(complete.as_bytes()) {
                    let art = qr
                        .render::<qrcode::render::unicode::Dense1x2>()
                        .quiet_zone(true)
                        .build();
                    eprintln!("or scan this (it opens {complete}):\n{art}");
                }
            }
            eprintln!(
                "Waiting for approval (the code is valid for {})…",
                human(*expires_in_secs)
            );
        }
    }
}

/// `$BROWSER` when set (a command; `%s` stands for the URL, else it is appended), else the
/// desktop's opener. Started in the background: the login goes on while it runs.
fn open_browser(url: &str) -> std::io::Result<()> {
    let browser = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty());
    let mut words: Vec<String> = match &browser {
        Some(b) => b.split_whitespace().map(String::from).collect(),
        None if cfg!(target_os = "macos") => vec!["open".into()],
        // The shell's handler for a URL: the default browser, with the URL as one argument
        // (`cmd /c start` would read `&` in it as its own).
        None if cfg!(windows) => vec!["rundll32".into(), "url.dll,FileProtocolHandler".into()],
        None => vec!["xdg-open".into()],
    };
    if words.iter().any(|w| w.contains("%s")) {
        words = words.iter().map(|w| w.replace("%s", url)).collect();
    } else {
        words.push(url.into());
    }
    std::process::Command::new(&words[0])
        .args(&words[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
}

#[allow(clippy::disallowed_methods)] // the CLI's display of "in 4m" reads the clock at the edge
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
