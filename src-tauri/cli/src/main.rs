//! `tokentray`: fresh tokens for scripts. It asks the running engine (the app or
//! `tokentray daemon`) over its local socket; with none running it opens the data directory's
//! engine in-process for the one call.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;
use tokentray_core::engine::ErrorView;
use tokentray_core::ipc::{self, Request, Response};
use tokentray_core::{home, EngineHandle, Error, SystemClock};

#[derive(Parser)]
#[command(
    name = "tokentray",
    version,
    about = "Fresh tokens for scripts, from Tokentray"
)]
struct Cli {
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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error[{}]: {}", e.code, e.message);
            ExitCode::from(exit_status(&e.code))
        }
    }
}

async fn run(cli: Cli) -> Result<(), ErrorView> {
    match cli.command {
        Command::Token { name, header } => {
            let token = token(&name).await?;
            if header {
                println!("Authorization: Bearer {token}");
            } else {
                println!("{token}");
            }
            Ok(())
        }
    }
}

/// From the running engine if there is one, else from an engine of our own for this call.
async fn token(name: &str) -> Result<String, ErrorView> {
    let home = home::data_dir();
    let view = |e: Error| ErrorView::from(&e);
    if let Some(mut client) = ipc::Client::connect(&ipc::socket_path(&home))
        .await
        .map_err(view)?
    {
        return match client
            .call(&Request::Token {
                name: name.to_string(),
            })
            .await
            .map_err(view)?
        {
            Response::Token { token } => Ok(token),
            Response::Error(e) => Err(e),
            other => Err(view(Error::InvalidResponse(format!(
                "unexpected answer {other:?}"
            )))),
        };
    }
    let engine = EngineHandle::open(
        &home,
        home::key_source(&home).map_err(view)?,
        Arc::new(SystemClock),
    )
    .await
    .map_err(view)?;
    let token = engine.get_token(name).await.map(|t| t.expose().to_string());
    engine.close().await;
    token.map_err(view)
}

/// Exit statuses scripts can branch on (see the README): 3 no such account; 4 a person must
/// act (the server refused, a login is needed, a pasted token expired); 5 another engine holds
/// the data directory; 6 the keyring is unavailable or locked; 1 anything else. Clap uses 2
/// for usage errors.
fn exit_status(code: &str) -> u8 {
    match code {
        "not_found" => 3,
        "invalid_grant"
        | "invalid_client"
        | "unauthorized_client"
        | "invalid_scope"
        | "refused"
        | "access_denied"
        | "expired_token"
        | "login_required"
        | "expired"
        | "vault_key_lost" => 4,
        "engine_running" => 5,
        "keyring_unavailable" | "keyring_locked" => 6,
        _ => 1,
    }
}
