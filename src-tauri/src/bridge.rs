//! Engine events → desktop notifications and the tray (the window hears them over the socket).
//! The engine knows nothing of desktops; this is the one place its events are translated.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Manager};
use tokentray_core::notices::Notices;
use tokentray_core::{EngineHandle, Event};
use tokio::sync::broadcast::{error::RecvError, Receiver};

pub fn spawn(app: AppHandle, mut events: Receiver<Event>) {
    let dirty = Arc::new(AtomicBool::new(true));
    let tray_dirty = dirty.clone();
    let tray_app = app.clone();
    // The tray is redrawn at most once a second, and every 30 s for its countdowns.
    tauri::async_runtime::spawn(async move {
        let mut ticks = 0u32;
        let mut lang = None;
        loop {
            // A new language in the settings is drawn at once too.
            let now_lang = crate::settings::language(&tray_app);
            let relabelled = lang.replace(now_lang) != Some(now_lang);
            if dirty.swap(false, Ordering::SeqCst) || relabelled || ticks.is_multiple_of(30) {
                crate::tray::update(&tray_app);
            }
            ticks = ticks.wrapping_add(1);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    tauri::async_runtime::spawn(async move {
        let mut notices = Notices::default();
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                // Missed events only mean the tray is redrawn from the list.
                Err(RecvError::Lagged(_)) => {
                    tray_dirty.store(true, Ordering::SeqCst);
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            tray_dirty.store(true, Ordering::SeqCst);
            match &event {
                Event::ApprovalNeeded { approval } => crate::ask::show(&app, approval.clone()),
                Event::ApprovalAnswered { id, .. } => crate::ask::closed(&app, *id),
                _ => {}
            }
            let status = app
                .state::<EngineHandle>()
                .view(event.account())
                .ok()
                .map(|v| v.status);
            #[allow(clippy::disallowed_methods)] // "expires in 2 days" is said at the edge
            let now = chrono::Utc::now();
            notices.lang = crate::settings::language(&app);
            if let Some(notice) = notices.on(&event, status, now) {
                crate::notify::show(&app, &notice);
            }
        }
    });
}
