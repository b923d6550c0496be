//! `tokentray-full`: every `tokentray` command. The small `tokentray` front answers the calls
//! made in loops itself and hands everything else here (same arguments, `argv[0]` kept).
//! Commands ask the running engine (the app or `tokentray daemon`) over its local socket;
//! `--standalone` opens the data directory's engine in-process for the one call instead.

mod backend;
mod team;

use backend::{ask, view, Backend, Result};
use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;
use tokentray_cli::{fail, out, outln, parse_duration, print_dpop, print_token};
use tokentray_core::duration::{human, relative, relative_in};
use tokentray_core::i18n::{self, word, Lang};
use tokentray_core::ipc::{self, Request, Response};
use tokentray_core::login::LoginPrompt;
use tokentray_core::{home, AccountView, EngineHandle, Error, ErrorView, Revocation, SystemClock};

#[derive(Parser)]
#[command(
    name = "tokentray",
    version,
    about = "Fresh tokens for scripts, from Tokentray"
)]
struct Cli {
    /// Run the engine in this process for this one command instead of asking the running
    /// app or daemon (refused while one of them holds the data directory).
    #[arg(long, global = true)]
    standalone: bool,
    /// How long to wait for the engine's answer before giving up with
    /// error[engine_not_responding] (exit 7): `30s`, `2m`; `0` waits as long as it takes.
    #[arg(long, global = true, env = "TOKENTRAY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    timeout: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a valid access token for an account, and nothing else.
    Token {
        /// The account's name.
        name: String,
        /// Print `Authorization: Bearer <token>` instead of the bare token.
        #[arg(long)]
        header: bool,
        /// Refresh first unless the token stays valid this long: `60s`, `5m`, `1h`, or seconds.
        #[arg(long, value_parser = parse_duration, default_value = "0")]
        min_valid: u64,
        /// For a DPoP-bound token (dpop = true): print `Authorization: DPoP <token>` and a
        /// fresh `DPoP: <proof>` for this one request, made by the engine (the key never
        /// leaves it).
        #[arg(long, num_args = 2, value_names = ["METHOD", "URL"], conflicts_with_all = ["header", "min_valid"])]
        dpop: Option<Vec<String>>,
    },
    /// Run a command with the account's token in an environment variable (never on argv).
    Exec {
        name: String,
        /// The variable that carries the token.
        #[arg(long, default_value = "TOKEN")]
        env: String,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// List the accounts with their status and expiry.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One account's status.
    Status {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Refresh an account now (or every account).
    Refresh {
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },
    /// An account's refresh history, newest first.
    History {
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Show the header and claims of an account's token when it is a JWT (never verified).
    Decode {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Sign in to an `authorization_code` account (in the browser) or a `device_code` account
    /// (a code to enter on any device).
    Login { name: String },
    /// Remove an account, revoking its tokens first when it names a revocation endpoint.
    Remove { name: String },
    /// Add or replace accounts from a TOML file of `[[account]]` tables; all or nothing.
    Import { file: std::path::PathBuf },
    /// Print the accounts as TOML (the same format import reads), without secrets unless asked.
    Export {
        #[arg(long)]
        with_secrets: bool,
    },
    /// Print the engine's events as they happen (refreshes, failures, expiry warnings), one a
    /// line, until interrupted: what a desktop would notify, for a server.
    Events {
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// The public half of an account's signing key (private_key_jwt), to register at the
    /// server: the JWK, the JWKS, its thumbprint and a self-signed certificate. The private
    /// key never leaves Tokentray.
    Key {
        name: String,
        /// Only the JWK.
        #[arg(long, conflicts_with_all = ["jwks", "cert"])]
        jwk: bool,
        /// Only the JWK Set (`{"keys": [...]}`).
        #[arg(long, conflicts_with = "cert")]
        jwks: bool,
        /// Only the certificate (PEM), e.g. for Entra ID.
        #[arg(long)]
        cert: bool,
    },
    /// kubectl's exec credential plugin: print an ExecCredential with the account's token
    /// (set up with `tokentray kubeconfig`).
    KubectlCredential { name: String },
    /// Print a kubeconfig whose user runs `tokentray kubectl-credential NAME`: with --server,
    /// a whole one (cluster, context, user) to use or merge; else the `users:` entry to paste.
    Kubeconfig {
        name: String,
        /// The API server, `https://…`.
        #[arg(long)]
        server: Option<String>,
        /// The PEM file of the authority that signed the API server's certificate.
        #[arg(long, requires = "server")]
        ca: Option<std::path::PathBuf>,
    },
    /// A git credential helper: `git config --global credential.https://github.com.helper
    /// '!tokentray git-credential'`. The account whose git_hosts match answers.
    GitCredential {
        /// What git asks: get, store or erase.
        action: String,
    },
    /// A Docker credential helper (installed as docker-credential-tokentray): get, list,
    /// store, erase. The account whose registry_hosts match answers.
    DockerCredential { action: String },
    /// Print lines that set each account's variable to its token, for `eval "$(tokentray env
    /// NAME)"`: env_name, else TOKENTRAY_<NAME>.
    Env {
        #[arg(required = true)]
        names: Vec<String>,
        /// The shell to write for (default: fish when $SHELL is fish, else bash/zsh syntax).
        #[arg(long, value_parser = ["bash", "zsh", "sh", "fish"])]
        shell: Option<String>,
    },
    /// Run the engine in the foreground, with no window: for servers and CI. Logs go to
    /// stderr; SIGTERM or Ctrl+C stops it cleanly.
    Daemon,
    /// Team mode: several engines share one PostgreSQL (init, join, status).
    Team {
        #[command(subcommand)]
        action: team::Team,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(cli)).unwrap_or_else(fail)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tokentray", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            return Ok(ExitCode::SUCCESS);
        }
        Command::Daemon => return daemon().await.map(|()| ExitCode::SUCCESS),
        Command::Team { action } => return team::run(action, now()).await.map(|()| ExitCode::SUCCESS),
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
    let mut backend = Backend::connect(cli.standalone, deadline).await?;
    let result = command(&mut backend, cli.command).await;
    backend.close().await;
    result
}

async fn command(backend: &mut Backend, command: Command) -> Result<ExitCode> {
    match command {
        Command::Token {
            name,
            dpop: Some(dpop),
            ..
        } => {
            let (method, url) = (dpop[0].clone(), dpop[1].clone());
            let request = Request::Dpop { name, method, url };
            print_dpop(&ask!(backend, request, Response::Dpop(headers) => headers));
        }
        Command::Token {
            name,
            header,
            min_valid,
            dpop: None,
        } => {
            print_token(&token(backend, &name, min_valid).await?, header);
        }
        Command::Exec { name, env, command } => {
            let token = token(backend, &name, 0).await?;
            let mut child = std::process::Command::new(&command[0]);
            for var in home::VAULT_ENV {
                child.env_remove(var);
            }
            let status = match child.args(&command[1..]).env(&env, token).status() {
                Ok(status) => status,
                // As a shell says it: 127 when there is no such program, 126 when it cannot run.
                Err(e) => {
                    let missing = e.kind() == std::io::ErrorKind::NotFound;
                    eprintln!("error[system]: cannot run {}: {e}", command[0]);
                    return Ok(ExitCode::from(if missing { 127 } else { 126 }));
                }
            };
            // Killed by a signal: 128 + its number, as a shell says it.
            use std::os::unix::process::ExitStatusExt;
            let code = status
                .code()
                .or_else(|| status.signal().map(|n| n.saturating_add(128)))
                .unwrap_or(1);
            return Ok(ExitCode::from(
                u8::try_from(code.clamp(0, 255)).unwrap_or(1),
            ));
        }
        Command::List { json } => {
            let accounts = list(backend).await?;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&accounts).expect("serialisable")
                );
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
                        runs_out(&a, now, lang)
                    );
                }
            }
        }
        Command::Status { name, json } => {
            let a = status(backend, &name).await?;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&a).expect("serialisable")
                );
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
                    outln!("runs out:      {} ({how})", runs_out(&a, now, Lang::En));
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
        Command::Refresh { name, all } => {
            let names = match (name, all) {
                (Some(name), _) => vec![name],
                (None, _) => list(backend).await?.into_iter().map(|a| a.name).collect(),
            };
            let mut failed = None;
            for name in names {
                let refreshed = backend.call(Request::Refresh { name: name.clone() }).await;
                match refreshed {
                    Ok(_) => outln!("{name}: refreshed"),
                    Err(e) => {
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
            let entries = ask!(backend, Request::History { name, limit, before_id: None }, Response::History { entries } => entries);
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&entries).expect("serialisable")
                );
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
                    outln!(
                        "{:<26} {:<10} {:>6}ms  {detail}",
                        h.started_at.to_rfc3339(),
                        h.outcome,
                        h.latency_ms
                    );
                }
            }
        }
        Command::Decode { name, json } => {
            let token = token(backend, &name, 0).await?;
            let Some(jwt) = tokentray_core::jwt::decode(&token) else {
                if json {
                    outln!("null");
                } else {
                    outln!("{name}: the token is opaque (not a JWT); nothing to decode");
                }
                return Ok(ExitCode::SUCCESS);
            };
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&jwt).expect("serialisable")
                );
            } else {
                outln!(
                    "header: {}",
                    serde_json::to_string_pretty(&jwt.header).expect("serialisable")
                );
                outln!(
                    "claims: {}",
                    serde_json::to_string_pretty(&jwt.claims).expect("serialisable")
                );
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
        Command::Import { file } => {
            // Read and resolved here: `_env` and `_file` secrets are the caller's, not the
            // engine's; any error names the file and line, and then nothing is sent.
            let nothing = |e: Error| {
                let e = view(e);
                ErrorView {
                    message: format!("{}; nothing was imported", e.message),
                    ..e
                }
            };
            let profile = tokentray_core::Profile::load(&file).map_err(nothing)?;
            let toml = tokentray_core::profile::to_toml(&profile.account, true).map_err(nothing)?;
            let names =
                ask!(backend, Request::Import { toml }, Response::Imported { names } => names);
            outln!("imported {} account(s): {}", names.len(), names.join(", "));
        }
        Command::Remove { name } => {
            let request = Request::Remove { name: name.clone() };
            match ask!(backend, request, Response::Removed(revocation) => revocation) {
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
        Command::Login { name } => {
            backend.login(&name, show_prompt).await?;
            let a = status(backend, &name).await?;
            outln!(
                "{name}: signed in; the token expires {}",
                relative(a.expires_at, now())
            );
        }
        Command::Export { with_secrets } => {
            let request = Request::Export { with_secrets };
            out!(
                "{}",
                ask!(backend, request, Response::Exported { toml } => toml)
            );
        }
        Command::Key {
            name,
            jwk,
            jwks,
            cert,
        } => {
            let request = Request::PublicKey { name: name.clone() };
            let key = ask!(backend, request, Response::PublicKey(key) => key);
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
        }
        Command::Events { json } => {
            use std::io::Write;
            backend.events(|event| {
                let line = match json {
                    true => serde_json::to_string(&event).expect("serialisable"),
                    false => describe(&event, now()),
                };
                // A reader that went away (`| head`) ends the stream.
                if writeln!(std::io::stdout(), "{line}").is_err() {
                    std::process::exit(0);
                }
            })?;
        }
        Command::Daemon
        | Command::Team { .. }
        | Command::Completions { .. }
        | Command::Kubeconfig { .. }
        | Command::KubectlCredential { .. }
        | Command::GitCredential { .. }
        | Command::DockerCredential { .. }
        | Command::Env { .. } => unreachable!("handled before connecting"),
    }
    Ok(ExitCode::SUCCESS)
}

/// An event in a line: `2026-11-23T20:30:00Z bot: secret expires in 6d 23h (…)`.
fn describe(event: &tokentray_core::Event, now: chrono::DateTime<chrono::Utc>) -> String {
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
    };
    format!("{} {account}: {what}", now.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// The credential that runs out with no way to renew it: `secret in 2d 5h`, or `-`.
fn runs_out(a: &AccountView, now: chrono::DateTime<chrono::Utc>, lang: Lang) -> String {
    match &a.credential {
        Some(c) => format!(
            "{} {}",
            i18n::credential(lang, &c.name),
            relative_in(lang, Some(c.expires_at), now)
        ),
        None => "-".into(),
    }
}

/// A token valid for at least `min_valid_secs` more seconds.
async fn token(backend: &mut Backend, name: &str, min_valid_secs: u64) -> Result<String> {
    let request = Request::Token {
        name: name.into(),
        min_valid_secs,
    };
    Ok(ask!(backend, request, Response::Token { token } => token))
}

async fn list(backend: &mut Backend) -> Result<Vec<AccountView>> {
    Ok(ask!(backend, Request::List, Response::Accounts { accounts, .. } => accounts))
}

async fn status(backend: &mut Backend, name: &str) -> Result<AccountView> {
    list(backend)
        .await?
        .into_iter()
        .find(|a| a.name == name)
        .ok_or_else(|| view(Error::NotFound(name.into())))
}

/// Tells the person what to do for a login, on stderr (stdout stays for results).
fn show_prompt(prompt: &LoginPrompt) {
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

/// The engine with no window: the socket, the refresh loop, logs on stderr.
async fn daemon() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let home = home::data_dir();
    let key = home::key_source(&home).map_err(view)?;
    let engine = EngineHandle::open(&home, key, Arc::new(SystemClock))
        .await
        .map_err(view)?;
    for problem in engine.problems() {
        tracing::warn!(code = %problem.code, "{}", problem.message);
    }
    let socket = ipc::socket_path(&home);
    tracing::info!(home = %home.display(), socket = %socket.display(), accounts = engine.list().len(), "tokentray daemon started");
    let server = tokio::spawn(ipc::serve(engine.clone(), socket, None));
    let refresh = engine.spawn_refresh_loop();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| view(Error::Storage(e.to_string())))?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("stopping");
    engine.close().await;
    let _ = refresh.await;
    let _ = server.await;
    Ok(())
}

#[allow(clippy::disallowed_methods)] // the CLI's display of "in 4m" reads the clock at the edge
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
