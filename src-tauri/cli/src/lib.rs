//! The `tokentray` command's shared parts. Two binaries: `tokentray`, a small front that
//! answers the calls scripts and tools make in loops ([`fast`]: `token` and the credential
//! [`helpers`]) in about the time a process takes to start, and `tokentray-full` (installed
//! beside it), every command, which the front becomes for anything else. The front links only
//! what those calls use — no async runtime, HTTP client, database or argument parser — so it
//! starts as fast as a hello-world binary does.

pub mod fast;
pub mod helpers;

use std::process::ExitCode;
use tokentray_core::ipc::Response;
use tokentray_core::{Error, ErrorView};

/// An error as scripts see it: `error[CODE]: message` on stderr and its exit status.
pub fn fail(e: ErrorView) -> ExitCode {
    eprintln!("error[{}]: {}", e.code, e.message);
    ExitCode::from(e.code.exit_status())
}

pub fn print_token(token: &str, header: bool) {
    if header {
        println!("Authorization: Bearer {token}");
    } else {
        println!("{token}");
    }
}

/// The two headers of a request with a DPoP-bound token, as curl's `-H` takes them.
pub fn print_dpop(headers: &tokentray_core::dpop::Headers) {
    println!("Authorization: {}", headers.authorization);
    println!("DPoP: {}", headers.dpop);
}

/// An answer of the engine that does not fit the request.
pub fn unexpected(response: Response) -> ErrorView {
    ErrorView::from(&Error::InvalidResponse(format!(
        "unexpected answer from the engine: {response:?}"
    )))
}

/// `90`, `90s`, `5m`, `1h`, `1d` → seconds, up to a year and a day (the longest a token is
/// taken to live).
pub fn parse_duration(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 60s, 5m or 1h"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    let longest = tokentray_core::limits::MAX_LIFETIME_SECS;
    n.checked_mul(scale)
        .filter(|secs| *secs <= longest)
        .ok_or_else(|| {
            format!(
                "{text:?} is longer than a token lives: at most {}d",
                longest / 86_400
            )
        })
}
