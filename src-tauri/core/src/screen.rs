//! Locking with the screen: when the session's screen locks, Tokentray locks too (setting
//! `lock_on_screen_lock`, on by default), so a program left running at a locked desk gets no
//! token. Two signals say so: the session bus's `org.freedesktop.ScreenSaver.ActiveChanged
//! (true)` (GNOME, KDE, xscreensaver's bridge, light-locker) and the system bus's logind
//! `org.freedesktop.login1.Session.Lock` for this process's session (`loginctl lock-session`).
//! Without a bus (a server, a container) there is nothing to listen to, and nothing happens.

use crate::engine::EngineHandle;
use futures_lite::StreamExt;
use zbus::message::Type;
use zbus::{Connection, MatchRule, MessageStream};

/// Listens until the engine stops; locks on each signal while the setting is on.
pub async fn watch(engine: EngineHandle) {
    let stop = engine.stopped();
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = screensaver(&engine) => {}
    }
}

async fn screensaver(engine: &EngineHandle) {
    let (session, logind) = tokio::join!(session_bus(), logind());
    if let Err(e) = &session {
        tracing::debug!("no screensaver signals: {e}");
    }
    if let Err(e) = &logind {
        tracing::debug!("no logind lock signals: {e}");
    }
    tokio::join!(
        listen(engine, "screensaver", session.ok()),
        listen(engine, "logind", logind.ok())
    );
}

/// Locks on each signal of `stream` that says the screen locked.
async fn listen(engine: &EngineHandle, from: &'static str, stream: Option<MessageStream>) {
    let Some(mut stream) = stream else { return };
    tracing::info!(from, "locking with the screen");
    while let Some(message) = stream.next().await {
        let Ok(message) = message else { continue };
        let locks = match from {
            // ActiveChanged(b): true when the screensaver (the lock) comes on.
            "screensaver" => message.body().deserialize::<bool>().unwrap_or(false),
            _ => true,
        };
        if locks && engine.settings().lock_on_screen_lock {
            tracing::info!(from, "the screen locked: locking");
            engine.set_locked(true);
        }
    }
}

async fn session_bus() -> zbus::Result<MessageStream> {
    let bus = Connection::session().await?;
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface("org.freedesktop.ScreenSaver")?
        .member("ActiveChanged")?
        .build();
    MessageStream::for_match_rule(rule, &bus, Some(16)).await
}

/// logind's `Lock` for the session this process belongs to.
async fn logind() -> zbus::Result<MessageStream> {
    let bus = Connection::system().await?;
    let pid = std::process::id();
    let reply = bus
        .call_method(
            Some("org.freedesktop.login1"),
            "/org/freedesktop/login1",
            Some("org.freedesktop.login1.Manager"),
            "GetSessionByPID",
            &(pid,),
        )
        .await?;
    let session: zbus::zvariant::OwnedObjectPath = reply.body().deserialize()?;
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .sender("org.freedesktop.login1")?
        .interface("org.freedesktop.login1.Session")?
        .member("Lock")?
        .path(session)?
        .build();
    MessageStream::for_match_rule(rule, &bus, Some(16)).await
}
