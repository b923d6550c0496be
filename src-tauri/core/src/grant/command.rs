//! An external program that prints a token, as AWS `credential_process` and kubectl exec
//! plugins work: `gcloud auth print-access-token`, a vault CLI, a team's own script. It runs
//! from an argv (never through a shell) with a timeout, and prints either the bare token or
//! JSON with `access_token` / `token` (or kubectl's `status.token`) and `expires_in` /
//! `expires_at` (or `status.expirationTimestamp`, AWS's `Expiration`).

use super::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{parse_instant, TokenSet};
use serde::Deserialize;
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

const DEFAULT_TIMEOUT_SECS: u64 = 30;
const MAX_OUTPUT: u64 = 1 << 20;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The program and its arguments.
    pub command: Vec<String>,
    pub timeout_secs: Option<u64>,
}

impl Config {
    pub fn check(&self) -> std::result::Result<(), String> {
        if let Some(secs) = self.timeout_secs {
            crate::limits::seconds("timeout_secs", secs, 1, crate::limits::MAX_COMMAND_SECS)?;
        }
        match self.command.first() {
            Some(program) if !program.is_empty() => Ok(()),
            _ => Err("command must name a program: command = [\"gcloud\", \"auth\", \"print-access-token\"]".into()),
        }
    }
}

pub async fn obtain(ctx: Context<'_>, c: &Config) -> Result<TokenSet> {
    run(ctx, c, &[]).await
}

/// Runs the program with `env` added (never the vault's passphrase) and reads its token.
pub async fn run(ctx: Context<'_>, c: &Config, env: &[(&str, String)]) -> Result<TokenSet> {
    let timeout = Duration::from_secs(c.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let mut child = tokio::process::Command::new(&c.command[0]);
    for var in crate::home::VAULT_ENV {
        child.env_remove(var);
    }
    let mut child = child
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(&c.command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::CommandFailed(format!("cannot run {}: {e}", c.command[0])))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let run = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut out_reader = (&mut stdout).take(MAX_OUTPUT + 1);
        let mut err_reader = (&mut stderr).take(MAX_OUTPUT);
        let (read_out, read_err, status) = tokio::join!(
            out_reader.read_to_end(&mut out),
            err_reader.read_to_end(&mut err),
            child.wait()
        );
        read_out
            .and(read_err)
            .and(status)
            .map(|status| (status, out, err))
    };
    let (status, out, err) = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| {
            Error::Timeout(format!(
                "{} did not finish within {} s",
                c.command[0],
                timeout.as_secs()
            ))
        })?
        .map_err(|e| Error::CommandFailed(e.to_string()))?;
    if !status.success() {
        // The last line of stderr is usually the reason; keep it short.
        let reason = String::from_utf8_lossy(&err);
        let reason = reason
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let reason: String = reason.chars().take(200).collect();
        return Err(Error::CommandFailed(format!(
            "{} exited with {status}: {reason}",
            c.command[0]
        )));
    }
    if out.len() as u64 > MAX_OUTPUT {
        return Err(Error::InvalidResponse(
            "the command printed more than 1 MiB".into(),
        ));
    }
    parse_output(&out, ctx.clock.now())
}

/// The bare token, or JSON naming it.
pub fn parse_output(out: &[u8], now: chrono::DateTime<chrono::Utc>) -> Result<TokenSet> {
    let text = std::str::from_utf8(out)
        .map_err(|_| Error::InvalidResponse("the command's output is not text".into()))?
        .trim();
    if text.is_empty() {
        return Err(Error::InvalidResponse("the command printed nothing".into()));
    }
    let (token, expires_at) = if text.starts_with('{') {
        let v: Value = serde_json::from_str(text)
            .map_err(|_| Error::InvalidResponse("the command printed broken JSON".into()))?;
        let first = |pointers: &[&str]| {
            pointers
                .iter()
                .find_map(|p| v.pointer(p))
                .filter(|v| !v.is_null())
        };
        let token = first(&["/access_token", "/token", "/status/token"])
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::InvalidResponse("the command's JSON has no access_token".into())
            })?;
        let expires_at = match first(&["/expires_in"]) {
            Some(v) => {
                let secs = v
                    .as_i64()
                    .or_else(|| v.as_str()?.parse().ok())
                    .ok_or_else(|| {
                        Error::InvalidResponse(format!(
                            "expires_in is not a number of seconds: {}",
                            crate::token::shape(v)
                        ))
                    })?;
                if secs <= 0 {
                    return Err(Error::InvalidResponse(format!(
                        "expires_in is {secs}: the token is already expired"
                    )));
                }
                let secs = secs.unsigned_abs().min(crate::limits::MAX_LIFETIME_SECS);
                Some(crate::time::after(now, crate::time::secs(secs)))
            }
            None => match first(&["/expires_at", "/status/expirationTimestamp", "/Expiration"]) {
                Some(v) => Some(parse_instant(v).ok_or_else(|| {
                    Error::InvalidResponse(format!(
                        "expires_at is not a time: {}",
                        crate::token::shape(v)
                    ))
                })?),
                None => None,
            },
        };
        (token.to_string(), expires_at)
    } else {
        if text.lines().count() > 1 || text.contains(char::is_whitespace) {
            return Err(Error::InvalidResponse(
                "the command printed more than one token".into(),
            ));
        }
        let expires_at = crate::jwt::decode(text).and_then(|j| j.expires_at());
        (text.to_string(), expires_at)
    };
    Ok(TokenSet {
        access_token: Secret::new(token),
        token_type: "Bearer".into(),
        issued_at: now,
        expires_at,
        refresh_token: None,
        refresh_expires_at: None,
        scope: None,
        expiry_assumed: false,
        id_token: None,
    })
}
