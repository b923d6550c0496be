//! `tokentray-full`: every `tokentray` command. The small `tokentray` front answers the calls
//! made in loops itself and hands everything else here (same arguments, `argv[0]` kept).
//! Commands ask the running engine (the app or `tokentray daemon`) over its local socket;
//! `--standalone` opens the data directory's engine in-process for the one call instead,
//! reached through the same client and calls.

mod args;
mod commands;
mod daemon;
mod output;
mod passphrase;
mod proxy;
mod stop;
mod team;

use args::{Cli, Command};
use clap::{CommandFactory, Parser};
use std::process::ExitCode;
use std::sync::Arc;
use tokentray_cli::{fail, out};
use tokentray_cli::{view, Result};
use tokentray_core::client::Client;
use tokentray_core::server::InProcess;
use tokentray_core::transport::Local as Socket;
use tokentray_core::{home, Error, SystemClock};

fn main() -> ExitCode {
    run(Cli::parse()).unwrap_or_else(fail)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tokentray", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            return Ok(ExitCode::SUCCESS);
        }
        Command::Daemon => return daemon::run().map(|()| ExitCode::SUCCESS),
        Command::Proxy {
            name,
            listen,
            upstream,
        } => {
            let deadline = (cli.timeout > 0).then(|| std::time::Duration::from_secs(cli.timeout));
            return proxy::run(name, listen, &upstream, deadline).map(|()| ExitCode::SUCCESS);
        }
        Command::Team { action } => {
            return runtime()?
                .block_on(team::run(action, output::now()))
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Kubeconfig { name, server, ca } => {
            let ca = match ca {
                Some(file) => Some(std::fs::read(&file).map_err(|e| {
                    view(Error::BadRequest(format!("cannot read {}: {e}", file.display())))
                })?),
                None => None,
            };
            // The front beside this binary, by its full path: kubectl may run with another PATH.
            let exe = std::env::current_exe()
                .map(|p| p.with_file_name("tokentray").display().to_string())
                .unwrap_or_else(|_| "tokentray".into());
            let cluster = server.as_deref().map(|s| (s, ca.as_deref()));
            out!("{}", tokentray_core::tools::kubeconfig(&name, &exe, cluster));
            return Ok(ExitCode::SUCCESS);
        }
        // The fast path answers these; they come here only with flags it does not take.
        Command::KubectlCredential { .. }
        | Command::GitCredential { .. }
        | Command::DockerCredential { .. }
        | Command::Env { .. } => {
            return Err(view(Error::Unsupported(
                "credential helpers and env answer from the running engine (the app or `tokentray daemon`), not --standalone".into(),
            )))
        }
        _ => {}
    }
    let deadline = (cli.timeout > 0).then(|| std::time::Duration::from_secs(cli.timeout));
    let home = home::data_dir();
    if !cli.standalone {
        let socket = Socket::new(&home);
        let mut client = Client::connect_or_fail(&socket, deadline).map_err(view)?;
        return commands::run(&mut client, cli.command, false);
    }
    let engine = InProcess::open(&home, Arc::new(SystemClock)).map_err(view)?;
    let ran = Client::connect_or_fail(&engine, deadline)
        .map_err(view)
        .and_then(|mut client| commands::run(&mut client, cli.command, true));
    engine.close();
    ran
}

/// A runtime for the commands that run the engine's async code here (the daemon, team).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| view(Error::io("cannot start an async runtime", e)))
}
