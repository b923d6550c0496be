//! The freedesktop notification server, over the session bus, for the asks: a notification
//! with three actions, and the answer heard only from the server itself (the owner of
//! `org.freedesktop.Notifications`), so another program on the bus cannot forge one.
//! Windows and macOS have no such server: their asks are answered in the tray menu.

use std::collections::HashMap;
use tokentray_core::notices::Notice;
use zbus::zvariant::Value;

const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// Sends the notification (`shown` is already made safe for the desktop) with the actions
/// (key, label), tells `sent` its id, and waits for the server's `ActionInvoked` for it: the
/// key of the action the person chose.
pub async fn ask(
    shown: &Notice,
    actions: &[(&str, &str)],
    sent: impl FnOnce(u32),
) -> zbus::Result<Option<String>> {
    use futures_lite::StreamExt;
    let bus = zbus::Connection::session().await?;
    let actions: Vec<&str> = actions
        .iter()
        .flat_map(|(key, label)| [*key, *label])
        .collect();
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
    sent(id);
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
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// Takes a notification off the screen (its ask was answered elsewhere or given up).
pub async fn close(id: u32) {
    let Ok(bus) = zbus::Connection::session().await else {
        return;
    };
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
