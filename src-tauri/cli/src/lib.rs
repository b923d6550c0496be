//! The `tokentray` command's shared parts. Two binaries: `tokentray`, a small front that
//! answers the calls scripts and tools make in loops ([`fast`]: `token` and the credential
//! [`helpers`]) in about the time a process takes to start, and `tokentray-full` (installed
//! beside it), every command, which the front becomes for anything else. The front links only
//! what those calls use — no async runtime, HTTP client, database or argument parser — so it
//! starts as fast as a hello-world binary does.

pub mod engine;
pub mod fast;
pub mod helpers;

use std::process::ExitCode;
use tokentray_core::ErrorView;

/// Writes to stdout; a reader that went away (`tokentray list | head -1`) ends the command
/// quietly, as it ends any Unix tool, instead of a panic on the closed pipe.
pub fn write_out(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error[system]: cannot write the output: {e}");
            std::process::exit(1)
        }
    }
}

/// `println!` for the CLI's output, through [`write_out`].
#[macro_export]
macro_rules! outln {
    () => { $crate::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` for the CLI's output, through [`write_out`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::write_out(format_args!($($arg)*)) };
}

/// What a command ends with: its answer, or an error with its code and words.
pub type Result<T> = std::result::Result<T, ErrorView>;

/// An engine's error as a command reports it.
pub fn view(e: tokentray_core::Error) -> ErrorView {
    ErrorView::from(&e)
}

/// An error as scripts see it: `error[CODE]: message` on stderr and its exit status.
pub fn fail(e: ErrorView) -> ExitCode {
    eprintln!("error[{}]: {}", e.code, e.message);
    ExitCode::from(e.code.exit_status())
}

pub fn print_token(token: &str, header: bool) {
    if header {
        outln!("Authorization: Bearer {token}");
    } else {
        outln!("{token}");
    }
}

/// The two headers of a request with a DPoP-bound token, as curl's `-H` takes them.
pub fn print_dpop(headers: &tokentray_core::dpop::Headers) {
    outln!(
        "Authorization: {}\nDPoP: {}",
        headers.authorization.expose(),
        headers.dpop.expose()
    );
}

/// How long a request waits for the engine: `--timeout` when given, else `TOKENTRAY_TIMEOUT`,
/// else 30 s; `0` waits as long as it takes.
pub fn deadline(flag: Option<&str>) -> std::result::Result<Option<std::time::Duration>, String> {
    let env = std::env::var("TOKENTRAY_TIMEOUT").ok();
    let (text, from) = match (flag, env.as_deref().filter(|v| !v.trim().is_empty())) {
        (Some(flag), _) => (flag, "--timeout"),
        (None, Some(env)) => (env, "TOKENTRAY_TIMEOUT"),
        (None, None) => return Ok(Some(tokentray_core::client::DEFAULT_DEADLINE)),
    };
    match parse_duration(text).map_err(|e| format!("{from}: {e}"))? {
        0 => Ok(None),
        secs => Ok(Some(std::time::Duration::from_secs(secs))),
    }
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
