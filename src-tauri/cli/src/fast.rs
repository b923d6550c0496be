//! `tokentray token NAME [--header] [--min-valid D]` while an engine runs: the one call
//! scripts make in loops, so it skips what the other commands need — the argument parser's
//! model, an async runtime, logging — and is one blocking request over the socket. Anything
//! else (another flag, `--help`, no engine running) goes the full way, which explains itself.

use crate::{fail, parse_duration, print_token};
use std::process::ExitCode;
use tokentray_core::ipc::{self, Request, Response};

pub fn token() -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "token" {
        return None;
    }
    let (mut name, mut header, mut min_valid_secs) = (None, false, 0);
    while let Some(arg) = args.next() {
        let arg = arg.into_string().ok()?;
        match arg.as_str() {
            "--header" => header = true,
            "--min-valid" => {
                min_valid_secs = parse_duration(&args.next()?.into_string().ok()?).ok()?
            }
            _ if arg.starts_with("--min-valid=") => {
                min_valid_secs = parse_duration(&arg["--min-valid=".len()..]).ok()?
            }
            _ if arg.starts_with('-') => return None,
            _ if name.is_some() => return None,
            _ => name = Some(arg),
        }
    }
    let name = name?;
    let socket = ipc::socket_path(&tokentray_core::home::data_dir());
    let answer = match ipc::Client::connect(&socket) {
        Ok(None) => return None,
        Ok(Some(mut client)) => client.call(&Request::Token {
            name,
            min_valid_secs,
        }),
        Err(e) => Err(e),
    };
    Some(match answer {
        Ok(Response::Token { token }) => {
            print_token(&token, header);
            ExitCode::SUCCESS
        }
        Ok(Response::Error(e)) => fail(e),
        Ok(other) => fail(crate::backend::unexpected(other)),
        Err(e) => fail((&e).into()),
    })
}
