//! `tokentray daemon`: the engine with no window, for servers and CI: the socket (on Windows
//! the named pipe), the refresh loop, logs on stderr; SIGTERM, Ctrl+C (on Windows also
//! Ctrl+Break and the console's close) stops it cleanly.

use std::sync::Arc;
use tokentray_cli::{view, Result};
use tokentray_core::{home, EngineHandle, SystemClock};

pub fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or the journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    crate::runtime()?.block_on(serve())
}

async fn serve() -> Result<()> {
    let home = home::data_dir();
    let key = home::key_source(&home).map_err(view)?;
    let engine = EngineHandle::open(&home, key, Arc::new(SystemClock))
        .await
        .map_err(view)?;
    for problem in engine.problems() {
        tracing::warn!(code = %problem.code, "{}", problem.message);
    }
    let mut stop = crate::stop::Stop::listen()?;
    let endpoint = tokentray_core::transport::endpoint(&home);
    tracing::info!(home = %home.display(), socket = %endpoint.display(), accounts = engine.list().len(), "tokentray daemon started");
    let server = tokio::spawn(tokentray_core::server::serve(engine.clone(), home, None));
    let refresh = engine.spawn_refresh_loop();
    stop.recv().await;
    tracing::info!("stopping");
    engine.close().await;
    let _ = refresh.await;
    let _ = server.await;
    Ok(())
}
