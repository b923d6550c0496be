//! Asking the person: a program's first use of an account (or an unlock asked from a terminal)
//! as a desktop notification with three actions, Allow once, Allow for 8 hours and Deny, and the
//! same in the tray menu. The notification is sent over the session bus as the freedesktop
//! spec says; only an `ActionInvoked` signal from the notification server itself (the owner of
//! `org.freedesktop.Notifications`) counts as the person's answer, so another program on the
//! bus cannot forge one.

use std::collections::HashMap;
use std::sync::Mutex;
use tauri::{AppHandle, Manager};
use tokentray_core::lending::{Approval, Decision, Proof, APPROVAL_WAIT};
use tokentray_core::CancellationToken;
use tokentray_core::EngineHandle;
use zbus::zvariant::Value;

const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// The asks on screen: approval id → the notification's id and how to stop waiting.
#[derive(Default)]
pub struct Asks(Mutex<HashMap<u64, (Option<u32>, CancellationToken)>>);

impl Asks {
    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (Option<u32>, CancellationToken)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Shows the ask and waits (no longer than the engine does) for the person's answer.
pub fn show(app: &AppHandle, approval: Approval) {
    let cancel = CancellationToken::new();
    app.state::<Asks>()
        .held()
        .insert(approval.id, (None, cancel.clone()));
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let wait = APPROVAL_WAIT.saturating_add(std::time::Duration::from_secs(5));
        let asked = tokio::select! {
            _ = cancel.cancelled() => return,
            asked = tokio::time::timeout(wait, notify(&app, &approval)) => asked,
        };
        match asked {
            Ok(Ok(Some(decision))) => answer(&app, approval.id, decision),
            Ok(Ok(None)) | Err(_) => {}
            Ok(Err(e)) => tracing::warn!("cannot ask on the desktop: {e}"),
        }
    });
}

/// The approval was answered (here, in the tray, or from a terminal) or given up: its
/// notification goes.
pub fn closed(app: &AppHandle, approval: u64) {
    let Some((notification, cancel)) = app.state::<Asks>().held().remove(&approval) else {
        return;
    };
    cancel.cancel();
    if let Some(id) = notification {
        tauri::async_runtime::spawn(async move {
            if let Ok(bus) = zbus::Connection::session().await {
                let closed = bus
                    .call_method(
                        Some(NOTIFICATIONS),
                        PATH,
                        Some(NOTIFICATIONS),
                        "CloseNotification",
                        &(id,),
                    )
                    .await;
                if let Err(e) = closed {
                    tracing::debug!("cannot close the notification: {e}");
                }
            }
        });
    }
}

/// The person's answer, given to the engine as the desktop's.
pub fn answer(app: &AppHandle, approval: u64, decision: Decision) {
    let engine = app.state::<EngineHandle>().inner().clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = engine.answer(approval, decision, Proof::Desktop).await {
            tracing::debug!("the answer came too late: {e}");
        }
    });
}

/// `ID:once|hours|deny` (the tray menu's ids and the notification's action keys).
pub fn parse_answer(text: &str) -> Option<(u64, Decision)> {
    let (id, key) = text.split_once(':')?;
    Some((id.parse().ok()?, decision(key)?))
}

fn decision(key: &str) -> Option<Decision> {
    match key {
        "once" => Some(Decision::AllowOnce),
        "hours" => Some(Decision::AllowForHours),
        "deny" => Some(Decision::Deny),
        _ => None,
    }
}

/// Sends the notification and waits for the server's `ActionInvoked` for it.
async fn notify(app: &AppHandle, approval: &Approval) -> zbus::Result<Option<Decision>> {
    use futures_lite::StreamExt;
    let lang = crate::settings::language(app);
    let (notice, answers) = tokentray_core::notices::approval(approval, lang);
    let shown = notice.for_desktop(cfg!(all(unix, not(target_os = "macos"))));
    let bus = zbus::Connection::session().await?;
    let actions = [
        "once",
        answers[0].as_str(),
        "hours",
        answers[1].as_str(),
        "deny",
        answers[2].as_str(),
    ];
    // Critical: it stays until answered (the engine gives up after a minute anyway).
    let hints: HashMap<&str, Value> = [("urgency", Value::U8(2))].into_iter().collect();
    let reply = bus
        .call_method(
            Some(NOTIFICATIONS),
            PATH,
            Some(NOTIFICATIONS),
            "Notify",
            &(
                "Tokentray",
                0u32,
                "",
                shown.title.as_str(),
                shown.body.as_str(),
                &actions[..],
                hints,
                -1i32,
            ),
        )
        .await?;
    let id: u32 = reply.body().deserialize()?;
    if let Some(entry) = app.state::<Asks>().held().get_mut(&approval.id) {
        entry.0 = Some(id);
    }
    // Only the notification server's own signal is the person's answer.
    let owner = zbus::fdo::DBusProxy::new(&bus)
        .await?
        .get_name_owner(NOTIFICATIONS.try_into()?)
        .await?;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender(owner.as_str())?
        .interface(NOTIFICATIONS)?
        .member("ActionInvoked")?
        .build();
    let mut signals = zbus::MessageStream::for_match_rule(rule, &bus, Some(16)).await?;
    while let Some(signal) = signals.next().await {
        let Ok(signal) = signal else { continue };
        let Ok((invoked, key)) = signal.body().deserialize::<(u32, String)>() else {
            continue;
        };
        if invoked == id {
            return Ok(decision(&key));
        }
    }
    Ok(None)
}
