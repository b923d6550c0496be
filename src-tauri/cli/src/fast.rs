//! The calls scripts and tools make in loops — `tokentray token NAME [--header] [--min-valid
//! D]` and the credential helpers ([`crate::helpers`]) — while an engine runs: they skip what
//! the other commands need (the argument parser's model, an async runtime, logging) and are
//! one round trip over the socket (the greeting and the request in one write). Anything else
//! (another flag, `--help`) goes the full way, which explains itself.

use crate::{fail, helpers, parse_duration, print_token};
use std::process::ExitCode;
use tokentray_core::api::calls::{Dpop, Token};
use tokentray_core::client::Client;
use tokentray_core::transport::Local as Socket;

/// Answers the fast calls; `None` for everything else.
pub fn run() -> Option<ExitCode> {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
        .ok()?;
    let invoked_as = std::path::Path::new(args.first()?).file_name()?.to_str()?;
    if invoked_as.starts_with("docker-credential-") {
        // Installed as Docker names its helpers: `docker-credential-tokentray get`.
        return Some(helpers::docker(&args[1..]).unwrap_or_else(|| {
            eprintln!(
                "usage: {invoked_as} get|list|store|erase|version (a Docker credential helper)"
            );
            ExitCode::FAILURE
        }));
    }
    let rest = &args[2.min(args.len())..];
    match args.get(1)?.as_str() {
        "token" => token(rest),
        "kubectl-credential" => helpers::kubectl(rest),
        "git-credential" => helpers::git(rest),
        "docker-credential" => helpers::docker(rest),
        "env" => helpers::env(rest),
        _ => None,
    }
}

fn token(args: &[String]) -> Option<ExitCode> {
    let (mut name, mut header, mut min_valid_secs, mut dpop) = (None, false, 0, None);
    let mut id_token = false;
    let mut timeout = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--header" => header = true,
            "--id-token" => id_token = true,
            "--timeout" => timeout = Some(args.next()?.as_str()),
            _ if arg.starts_with("--timeout=") => timeout = Some(&arg["--timeout=".len()..]),
            "--min-valid" => min_valid_secs = parse_duration(args.next()?).ok()?,
            _ if arg.starts_with("--min-valid=") => {
                min_valid_secs = parse_duration(&arg["--min-valid=".len()..]).ok()?
            }
            "--dpop" => dpop = Some((args.next()?.clone(), args.next()?.clone())),
            _ if arg.starts_with('-') => return None,
            _ if name.is_some() => return None,
            _ => name = Some(arg.clone()),
        }
    }
    let name = name?;
    // The --min-valid of a DPoP call is left to the full way, which says what it takes.
    if dpop.is_some() && (min_valid_secs > 0 || header || id_token) {
        return None;
    }
    // A bad value is for the full way to explain.
    let deadline = crate::deadline(timeout).ok()?;
    let socket = Socket::new(&tokentray_core::home::data_dir());
    // No engine (`Ok(None)`): the full way says how to start one, or runs one with
    // --standalone.
    let printed = match dpop {
        Some((method, url)) => Client::ask(&socket, &Dpop { name, method, url }, deadline)
            .map(|asked| asked.map(|(_, headers)| crate::print_dpop(&headers))),
        None => {
            let call = Token {
                name,
                min_valid_secs,
                for_program: None,
                id_token,
                via: Default::default(),
                narrow: Default::default(),
            };
            Client::ask(&socket, &call, deadline)
                .map(|asked| asked.map(|(_, token)| print_token(token.expose(), header)))
        }
    };
    match printed {
        Ok(None) => None,
        Ok(Some(())) => Some(ExitCode::SUCCESS),
        Err(e) => Some(fail((&e).into())),
    }
}
