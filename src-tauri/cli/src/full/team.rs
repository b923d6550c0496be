//! `tokentray team`: point this machine's data directory at a team's PostgreSQL (creating the
//! team's vault there, or checking the shared passphrase opens it), and list the team's
//! engines with their last heartbeat and the leases they hold.

use clap::Subcommand;
use tokentray_cli::outln;
use tokentray_cli::{view, Result};
use tokentray_core::home;
use tokentray_core::store::{self, redacted, Store};
use tokentray_core::Error;

#[derive(Subcommand)]
pub enum Team {
    /// Create the team in an empty database: its schema and its vault, sealed with the
    /// passphrase the team shares (TOKENTRAY_PASSPHRASE or TOKENTRAY_PASSPHRASE_FILE).
    Init {
        /// postgres://user:password@host:port/database
        database_url: String,
    },
    /// Join a team: check the shared passphrase opens its vault (nothing is written if it does
    /// not), then use its database from now on.
    Join { database_url: String },
    /// The team's engines: host, last heartbeat, leases held now.
    Status {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(action: Team, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    let dir = home::data_dir();
    let key = home::key_source(&dir).map_err(view)?;
    match action {
        Team::Init { database_url } => {
            if store::team_exists(&database_url).await.map_err(view)? {
                return Err(view(Error::InvalidConfig(format!(
                    "{} already holds a team: run `tokentray team join` with its passphrase",
                    redacted(&database_url)
                ))));
            }
            Store::create_team(&database_url, key)
                .await
                .map_err(view)?
                .close()
                .await;
            store::write_database_url(&dir, &database_url).map_err(view)?;
            outln!(
                "created the team in {}; this data directory ({}) uses it from now on.\n\
                 Other machines: the same passphrase, then `tokentray team join URL`.",
                redacted(&database_url),
                dir.display()
            );
        }
        Team::Join { database_url } => {
            if !store::team_exists(&database_url).await.map_err(view)? {
                return Err(view(Error::InvalidConfig(format!(
                    "{} holds no team yet: run `tokentray team init` first",
                    redacted(&database_url)
                ))));
            }
            // A wrong passphrase is refused here, before config.toml is written.
            let opened = Store::open_url(&database_url, key).await.map_err(view)?;
            let accounts = opened.accounts().await.map_err(view)?.len();
            opened.close().await;
            store::write_database_url(&dir, &database_url).map_err(view)?;
            outln!(
                "joined the team in {} ({accounts} account(s)); restart the app or daemon of {}",
                redacted(&database_url),
                dir.display()
            );
        }
        Team::Status { json } => {
            let url = store::database_url(&dir).map_err(view)?.ok_or_else(|| {
                view(Error::InvalidConfig(format!(
                    "{} is not in a team: `tokentray team init` or `join`",
                    dir.display()
                )))
            })?;
            let opened = Store::open_url(&url, key).await.map_err(view)?;
            let engines = opened.team_engines().await.map_err(view)?;
            let accounts = opened.accounts().await.map_err(view)?.len();
            opened.close().await;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&engines).expect("serialisable")
                );
                return Ok(());
            }
            outln!("team database: {}  ({accounts} account(s))", redacted(&url));
            outln!(
                "{:<14} {:<24} {:<22} {:>6}",
                "ENGINE",
                "HOST",
                "LAST HEARTBEAT",
                "LEASES"
            );
            for e in engines {
                let heard = tokentray_core::duration::relative(Some(e.heartbeat), now);
                outln!("{:<14} {:<24} {:<22} {:>6}", e.id, e.host, heard, e.leases);
            }
        }
    }
    Ok(())
}
