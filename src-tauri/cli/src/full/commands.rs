//! The commands that ask the engine: each is one or two typed calls over the client, whichever
//! transport it runs on (the running engine's socket, or the engine opened in this process
//! for `--standalone`), and its output.

use crate::args::Command;
use crate::output;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokentray_cli::{out, outln, print_dpop, print_token};
use tokentray_cli::{view, Result};
use tokentray_core::api::calls::{
    Answer, Approvals, Audit, AwsCredential, Dpop, Events, Export, GetPublicKey, Heard, History,
    Import, List, Lock, Login, Refresh, Remove, Token, Unlock,
};
use tokentray_core::api::SecretText;
use tokentray_core::client::Client;
use tokentray_core::lending::Decision;
use tokentray_core::transport::Transport;
use tokentray_core::{home, AccountView, Error, ErrorView};

/// Runs `command` over `client`; `standalone` when the engine is this process's.
pub fn run<T: Transport>(
    client: &mut Client<T>,
    command: Command,
    standalone: bool,
) -> Result<ExitCode> {
    match command {
        Command::Token {
            name,
            dpop: Some(dpop),
            ..
        } => {
            let (method, url) = (dpop[0].clone(), dpop[1].clone());
            print_dpop(&client.call(&Dpop { name, method, url }).map_err(view)?);
        }
        Command::Token {
            name,
            header,
            min_valid,
            id_token,
            dpop: None,
            narrow,
        } => {
            let call = Token {
                name,
                min_valid_secs: min_valid,
                for_program: None,
                id_token,
                via: Default::default(),
                narrow: narrow.into(),
            };
            print_token(client.call(&call).map_err(view)?.expose(), header)
        }
        Command::Exec {
            name,
            env,
            command,
            narrow,
        } => {
            // The token is lent to the program it is for, as lend_to and the audit see it.
            let Some(program) = on_path(&command[0]) else {
                eprintln!("error[system]: cannot run {}: no such program", command[0]);
                return Ok(ExitCode::from(127));
            };
            let call = Token {
                name,
                min_valid_secs: 0,
                for_program: Some(program.clone()),
                id_token: false,
                via: Default::default(),
                narrow: narrow.into(),
            };
            let token = client.call(&call).map_err(view)?;
            return Ok(exec(&program, &command, &env, &token));
        }
        Command::List { json } => output::list(&list(client)?, json),
        Command::Status { name, json } => output::status(&status(client, &name)?, json),
        Command::Refresh { name, all } => {
            let names = match (name, all) {
                (Some(name), _) => vec![name],
                (None, _) => list(client)?.into_iter().map(|a| a.name).collect(),
            };
            let mut failed = None;
            for name in names {
                match client.call(&Refresh { name: name.clone() }) {
                    Ok(()) => outln!("{name}: refreshed"),
                    Err(e) => {
                        let e = view(e);
                        eprintln!("{name}: error[{}]: {}", e.code, e.message);
                        failed = Some(e);
                    }
                }
            }
            if let Some(e) = failed {
                return Ok(ExitCode::from(e.code.exit_status()));
            }
        }
        Command::History { name, limit, json } => {
            let call = History {
                name,
                limit,
                before_id: None,
            };
            output::history(&client.call(&call).map_err(view)?, json);
        }
        Command::Decode { name, json } => {
            output::decoded(&name, token(client, &name, 0)?.expose(), json)
        }
        Command::Import {
            file,
            allow_commands,
            allow_local,
        } => {
            // Read and resolved here: `_env` and `_file` secrets are the caller's, not the
            // engine's; any error names the file and line, and then nothing is sent.
            let nothing = |e: Error| {
                let e = view(e);
                ErrorView {
                    message: format!("{}; nothing was imported", e.message),
                    ..e
                }
            };
            // What the file would have this machine do is said, and refused, before any of
            // it is read for real.
            let text = std::fs::read_to_string(&file).map_err(|e| {
                nothing(Error::InvalidConfig(format!(
                    "cannot read {}: {e}",
                    file.display()
                )))
            })?;
            let asks = tokentray_core::trust::Asks::of(&text);
            if let Some(refusal) = asks.refusal(allow_commands, allow_local) {
                return Err(view(Error::NotAllowed(format!(
                    "{}: {refusal}",
                    file.display()
                ))));
            }
            let profile = tokentray_core::Profile::load(&file).map_err(nothing)?;
            let toml = tokentray_core::profile::to_toml(&profile.account, true).map_err(nothing)?;
            let names = client.call(&Import { toml }).map_err(view)?;
            outln!("imported {} account(s): {}", names.len(), names.join(", "));
        }
        Command::Remove { name } => {
            let revocation = client.call(&Remove { name: name.clone() }).map_err(view)?;
            output::removed(&name, revocation);
        }
        Command::Login { name } => {
            let login = Login { name: name.clone() };
            client
                .stream(&login, |p| output::show_prompt(&p))
                .map_err(view)?;
            let a = status(client, &name)?;
            outln!(
                "{name}: signed in; the token expires {}",
                tokentray_core::duration::relative(a.expires_at, output::now())
            );
        }
        Command::Export { with_secrets } => {
            let toml = client.call(&Export { with_secrets }).map_err(view)?;
            out!("{}", toml.expose());
        }
        Command::Key {
            name,
            jwk,
            jwks,
            cert,
        } => {
            let key = client.call(&GetPublicKey { name: name.clone() });
            output::key(&name, &key.map_err(view)?, [jwk, jwks, cert])?;
        }
        Command::Lock => {
            client.call(&Lock {}).map_err(view)?;
            outln!("locked: nothing is lent until you unlock (refreshing goes on)");
        }
        Command::Unlock => {
            let passphrase = crate::passphrase::for_a_person(client)?;
            client.call(&Unlock { passphrase }).map_err(view)?;
            outln!("unlocked");
        }
        Command::Approvals { json } => {
            output::lending::approvals(&client.call(&Approvals {}).map_err(view)?, json)
        }
        Command::Approve { id, for_8_hours } => {
            let passphrase = crate::passphrase::for_a_person(client)?;
            let decision = match for_8_hours {
                true => Decision::AllowForHours,
                false => Decision::AllowOnce,
            };
            let answer = Answer {
                id,
                decision,
                passphrase,
            };
            client.call(&answer).map_err(view)?;
            outln!("allowed");
        }
        Command::Deny { id } => {
            let answer = Answer {
                id,
                decision: Decision::Deny,
                passphrase: None,
            };
            client.call(&answer).map_err(view)?;
            outln!("denied");
        }
        Command::Audit { name, json, limit } => {
            output::lending::audit(&client.call(&Audit { name, limit }).map_err(view)?, json)
        }
        Command::AwsCredential {
            name,
            role_arn,
            sts_url,
            duration,
            session_name,
        } => {
            let call = AwsCredential {
                name,
                role_arn,
                sts_url,
                duration_secs: duration,
                session_name,
            };
            let credentials = client.call(&call).map_err(view)?;
            outln!(
                "{}",
                serde_json::to_string(&credentials).unwrap_or_default()
            );
        }
        Command::Events { json } if !standalone => events(client, json)?,
        Command::Events { .. } => return Err(view(Error::Unsupported(
            "events come from a running engine (the app or `tokentray daemon`), not --standalone"
                .into(),
        ))),
        Command::Daemon
        | Command::Proxy { .. }
        | Command::Team { .. }
        | Command::Completions { .. }
        | Command::Kubeconfig { .. }
        | Command::KubectlCredential { .. }
        | Command::GitCredential { .. }
        | Command::DockerCredential { .. }
        | Command::Env { .. } => {
            return Err(view(Error::Internal(
                "a command that asks no engine reached the engine's commands".into(),
            )))
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `command` with the token in the variable `env` (never on its argv), and exits as a
/// shell would: its status, 127 when there is no such program, 126 when it cannot run,
/// 128 + n when a signal ended it.
fn exec(program: &Path, command: &[String], env: &str, token: &SecretText) -> ExitCode {
    let mut child = std::process::Command::new(program);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::arg0(&mut child, &command[0]);
    for var in home::VAULT_ENV {
        child.env_remove(var);
    }
    let status = match child.args(&command[1..]).env(env, token.expose()).status() {
        Ok(status) => status,
        Err(e) => {
            let missing = e.kind() == std::io::ErrorKind::NotFound;
            eprintln!("error[system]: cannot run {}: {e}", command[0]);
            return ExitCode::from(if missing { 127 } else { 126 });
        }
    };
    #[cfg(unix)]
    let code = status.code().or_else(|| {
        std::os::unix::process::ExitStatusExt::signal(&status).map(|n| n.saturating_add(128))
    });
    // Windows has no signals: an exit code always (a crash's is an NTSTATUS, out of range).
    #[cfg(not(unix))]
    let code = status.code();
    ExitCode::from(u8::try_from(code.unwrap_or(1).clamp(0, 255)).unwrap_or(1))
}

/// Prints every event as it is heard, until interrupted or the engine goes.
fn events<T: Transport>(client: &mut Client<T>, json: bool) -> Result<()> {
    use std::io::Write;
    client
        .stream(&Events {}, |heard| {
            let line = match heard {
                Heard::Event(event) if json => serde_json::to_string(&event).unwrap_or_default(),
                Heard::Event(event) => output::describe(&event, output::now()),
                Heard::Missed(n) => {
                    eprintln!("warning[system]: {n} events were missed (the reader was slow)");
                    return;
                }
            };
            // A reader that went away (`| head`) ends the stream.
            if writeln!(std::io::stdout(), "{line}").is_err() {
                std::process::exit(0);
            }
        })
        .map_err(view)
}

/// A token valid for at least `min_valid_secs` more seconds.
fn token<T: Transport>(
    client: &mut Client<T>,
    name: &str,
    min_valid_secs: u64,
) -> Result<SecretText> {
    let call = Token {
        name: name.into(),
        min_valid_secs,
        for_program: None,
        id_token: false,
        via: Default::default(),
        narrow: Default::default(),
    };
    client.call(&call).map_err(view)
}

fn list<T: Transport>(client: &mut Client<T>) -> Result<Vec<AccountView>> {
    Ok(client.call(&List {}).map_err(view)?.accounts)
}

fn status<T: Transport>(client: &mut Client<T>, name: &str) -> Result<AccountView> {
    list(client)?
        .into_iter()
        .find(|a| a.name == name)
        .ok_or_else(|| view(Error::NotFound(name.into())))
}

/// The program a command names, as a shell would find it: a path as it is (when it is
/// there), a name on PATH (the first that can run; on Windows also with PATHEXT's endings).
fn on_path(command: &str) -> Option<PathBuf> {
    #[cfg(unix)]
    let runnable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    #[cfg(not(unix))]
    let runnable = |p: &Path| p.is_file();
    let endings: Vec<String> = match cfg!(windows) {
        true => std::iter::once(String::new())
            .chain(
                std::env::var("PATHEXT")
                    .unwrap_or_else(|_| ".COM;.EXE;.BAT;.CMD".into())
                    .split(';')
                    .filter(|e| !e.is_empty())
                    .map(str::to_string),
            )
            .collect(),
        false => vec![String::new()],
    };
    if command.contains('/') || (cfg!(windows) && command.contains('\\')) {
        // As it is, even when it cannot run: running it then says why (126).
        let path = PathBuf::from(command);
        return path.exists().then(|| path.canonicalize().unwrap_or(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            endings
                .iter()
                .map(move |e| dir.join(format!("{command}{e}")))
        })
        .find(|p| runnable(p))
        .map(|p| p.canonicalize().unwrap_or(p))
}
