//! `tokentray`: fresh tokens for scripts. For now the engine runs in-process for each call;
//! the local socket to a running app or daemon comes later.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;
use tokentray_core::{home, EngineHandle, Error, Profile, SystemClock};

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
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(exit_status(&e))
        }
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Token { name, header } => {
            let engine = EngineHandle::new(load_profile()?, Arc::new(SystemClock));
            let token = engine.get_token(&name).await?;
            if header {
                println!("Authorization: Bearer {}", token.expose());
            } else {
                println!("{}", token.expose());
            }
            Ok(())
        }
    }
}

fn load_profile() -> Result<Profile, Error> {
    let path = home::profile_path();
    if !path.exists() {
        return Err(Error::InvalidConfig(format!(
            "no profile at {} (set TOKENTRAY_HOME or add accounts first)",
            path.display()
        )));
    }
    Profile::load(&path)
}

/// Exit statuses scripts can branch on: 3 no such account, 4 the server refused, a login is
/// needed or a pasted token expired (a person must act), 1 anything else. Clap uses 2 for usage errors.
fn exit_status(e: &Error) -> u8 {
    match e {
        Error::NotFound(_) => 3,
        Error::Refused { .. } | Error::LoginRequired(_) | Error::Expired(_) => 4,
        _ => 1,
    }
}
