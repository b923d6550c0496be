//! The resident process's side of the accounts window: starts it as a process of its own (the
//! same binary with `--window`), or tells the running one to come to the front. Its stdin is
//! the one channel: a `show` line brings it up, and end of file (this process gone) ends it.

use std::io::Write;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager};
use tokentray_core::EngineHandle;

/// The engine's problems at start, for a window that cannot reach the engine to ask (JSON).
pub const PROBLEMS_ENV: &str = "TOKENTRAY_STARTUP_PROBLEMS";

struct Running {
    stdin: ChildStdin,
    alive: Arc<AtomicBool>,
}

static WINDOW: Mutex<Option<Running>> = Mutex::new(None);

pub fn show(app: &AppHandle) {
    let mut window = WINDOW
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(running) = window.as_mut() {
        if running.alive.load(Ordering::SeqCst) && writeln!(running.stdin, "show").is_ok() {
            return;
        }
    }
    match start(app) {
        Ok(running) => *window = Some(running),
        Err(e) => tracing::error!("cannot open the window: {e}"),
    }
}

fn start(app: &AppHandle) -> std::io::Result<Running> {
    let problems =
        serde_json::to_string(app.state::<EngineHandle>().problems()).expect("serialisable");
    let mut child = Command::new(std::env::current_exe()?)
        .arg(crate::WINDOW_MODE)
        .env(PROBLEMS_ENV, problems)
        .stdin(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take().expect("piped");
    let alive = Arc::new(AtomicBool::new(true));
    let reaper = alive.clone();
    let app = app.clone();
    // Reaps it when it exits (closed a while), so the next `show` starts another.
    std::thread::spawn(move || {
        let status = child.wait();
        reaper.store(false, Ordering::SeqCst);
        tracing::debug!(?status, "the window's process ended");
        if status.is_ok_and(|s| s.code() == Some(crate::NO_WEBVIEW)) {
            tracing::warn!("the accounts window cannot open: WebView2 is missing");
            let lang = crate::settings::language(&app);
            crate::notify::show(&app, &tokentray_core::notices::no_webview(lang));
        }
    });
    Ok(Running { stdin, alive })
}
