//! `tokentray env NAME…`: `export` lines (or fish's `set -gx`) for a shell to `eval`, each
//! account's token in its variable, narrowed when asked (`--scope`, `--audience`,
//! `--resource`).

use super::{answer, fail, lend_narrowed, Engine};
use std::process::ExitCode;
use tokentray_core::lending::Via;
use tokentray_core::narrow::Narrower;
use tokentray_core::tools::Wanted;

/// The shells `tokentray env` writes for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shell {
    /// bash, zsh, sh: `export NAME='value'`.
    Posix,
    Fish,
}

impl Shell {
    pub fn parse(name: &str) -> Option<Shell> {
        match name {
            "bash" | "zsh" | "sh" | "posix" => Some(Shell::Posix),
            "fish" => Some(Shell::Fish),
            _ => None,
        }
    }

    /// The shell `$SHELL` names, when it is fish; else POSIX.
    fn current() -> Shell {
        let shell = std::env::var("SHELL").unwrap_or_default();
        match shell.rsplit('/').next() {
            Some("fish") => Shell::Fish,
            _ => Shell::Posix,
        }
    }

    fn set(self, name: &str, value: &str) -> String {
        match self {
            Shell::Posix => format!("export {name}='{}'\n", value.replace('\'', r"'\''")),
            Shell::Fish => format!(
                "set -gx {name} '{}'\n",
                value.replace('\\', r"\\").replace('\'', r"\'")
            ),
        }
    }
}

/// `tokentray env NAME… [--shell bash|zsh|fish]`: a line setting each account's variable
/// (`env_name`, else `TOKENTRAY_<NAME>`) to its token, with its expiry in a comment before
/// it, for `eval "$(tokentray env api)"`. All of them or nothing.
pub fn env(args: &[String]) -> Option<ExitCode> {
    let (mut names, mut shell) = (Vec::new(), None);
    let mut narrow = Narrower::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match narrow_flag(arg, &mut args, &mut narrow) {
            Some(true) => continue,
            // A flag without its value: the full way says so.
            Some(false) => return None,
            None => {}
        }
        match arg.as_str() {
            "--shell" => shell = Some(Shell::parse(args.next()?)?),
            _ if arg.starts_with("--shell=") => shell = Some(Shell::parse(&arg[8..])?),
            _ if arg.starts_with('-') => return None,
            _ => names.push(arg.clone()),
        }
    }
    if names.is_empty() {
        return None;
    }
    let shell = shell.unwrap_or_else(Shell::current);
    let mut engine = Engine::default();
    let mut text = String::new();
    for name in names {
        let want = Wanted::Account { name };
        let lent = match lend_narrowed(&mut engine, want, Via::Env, narrow.clone()) {
            Ok(lent) => lent,
            Err(e) => return Some(fail(e)),
        };
        let expires = match lent.expires_at {
            Some(at) => format!(
                "expires {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => "states no expiry".into(),
        };
        text += &format!(
            "# {}: the token {expires}\n",
            lent.account.replace('\n', " ")
        );
        text += &shell.set(&lent.env_name, lent.token.expose());
    }
    Some(answer(&text))
}

/// Takes `--scope X`, `--audience X`, `--resource X` (or `--scope=X`) into `narrow`; `None`
/// when `arg` is none of them, `Some(false)` when its value is missing.
fn narrow_flag<'a>(
    arg: &str,
    rest: &mut impl Iterator<Item = &'a String>,
    narrow: &mut Narrower,
) -> Option<bool> {
    let (flag, inline) = match arg.split_once('=') {
        Some((flag, value)) => (flag, Some(value.to_string())),
        None => (arg, None),
    };
    let slot = match flag {
        "--scope" => &mut narrow.scope,
        "--audience" => &mut narrow.audience,
        "--resource" => &mut narrow.resource,
        _ => return None,
    };
    match inline.or_else(|| rest.next().cloned()) {
        Some(value) => {
            *slot = Some(value);
            Some(true)
        }
        None => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_values_are_quoted_for_each_shell() {
        assert_eq!(Shell::Posix.set("T", "a'b"), "export T='a'\\''b'\n");
        assert_eq!(Shell::Fish.set("T", r"a'b\c"), "set -gx T 'a\\'b\\\\c'\n");
    }

    #[test]
    fn narrowing_flags_take_their_values_either_way() {
        let args: Vec<String> = vec!["api:read".into()];
        let mut rest = args.iter();
        let mut narrow = Narrower::default();
        assert_eq!(narrow_flag("--scope", &mut rest, &mut narrow), Some(true));
        assert_eq!(
            narrow_flag("--resource=urn:x", &mut rest, &mut narrow),
            Some(true)
        );
        assert_eq!(
            narrow_flag("--audience", &mut rest, &mut narrow),
            Some(false)
        );
        assert_eq!(narrow_flag("--shell", &mut rest, &mut narrow), None);
        assert_eq!(narrow.scope.as_deref(), Some("api:read"));
        assert_eq!(narrow.resource.as_deref(), Some("urn:x"));
        assert_eq!(narrow.audience, None);
    }
}
