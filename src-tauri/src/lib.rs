//! The desktop shell, two processes of one binary. The resident one (`tray_process`) runs the
//! engine, its socket, the tray, notifications and the clipboard, and never loads a webview.
//! The accounts window (`window_process`, started with `--window`) is a client of the engine
//! over the socket, and exits once it has been closed a while: WebKit's memory goes with it,
//! and a WebKit crash cannot take the engine down.

mod ask;
#[cfg(all(unix, not(target_os = "macos")))]
mod ask_bus;
mod bridge;
mod clipboard;
mod commands;
mod engine;
mod launcher;
mod login;
mod notify;
mod settings;
mod tray;
mod tray_process;
mod window_process;

/// The argument that makes the binary the accounts window.
pub const WINDOW_MODE: &str = "--window";

/// How the window's process ends when the system has no web view for it (WebView2 missing on
/// Windows): the resident process then tells the person what to install.
const NO_WEBVIEW: i32 = 3;

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TOKENTRAY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or the journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if std::env::args().any(|a| a == WINDOW_MODE) {
        window_process::run()
    } else {
        tray_process::run()
    }
}
