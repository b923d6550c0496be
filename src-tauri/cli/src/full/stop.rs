//! What stops a long-running command (the daemon, the proxy): Ctrl+C everywhere; SIGTERM on
//! Unix (a service manager, `kill`); on Windows Ctrl+Break and the console's close, logoff and
//! shutdown (a console program gets a few seconds for those).

use tokentray_cli::{view, Result};
use tokentray_core::Error;

pub struct Stop {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_break: tokio::signal::windows::CtrlBreak,
    #[cfg(windows)]
    ctrl_close: tokio::signal::windows::CtrlClose,
    #[cfg(windows)]
    ctrl_shutdown: tokio::signal::windows::CtrlShutdown,
    #[cfg(windows)]
    ctrl_logoff: tokio::signal::windows::CtrlLogoff,
}

impl Stop {
    /// Listens from now on (inside the runtime).
    pub fn listen() -> Result<Stop> {
        let cannot = |what: &str, e| view(Error::io(format!("cannot listen for {what}"), e));
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Stop {
                terminate: signal(SignalKind::terminate()).map_err(|e| cannot("SIGTERM", e))?,
            })
        }
        #[cfg(windows)]
        {
            use tokio::signal::windows;
            Ok(Stop {
                ctrl_break: windows::ctrl_break().map_err(|e| cannot("Ctrl+Break", e))?,
                ctrl_close: windows::ctrl_close().map_err(|e| cannot("the console's close", e))?,
                ctrl_shutdown: windows::ctrl_shutdown().map_err(|e| cannot("shutdown", e))?,
                ctrl_logoff: windows::ctrl_logoff().map_err(|e| cannot("logoff", e))?,
            })
        }
    }

    /// Until one of them comes.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        #[cfg(windows)]
        tokio::select! {
            _ = self.ctrl_break.recv() => {}
            _ = self.ctrl_close.recv() => {}
            _ = self.ctrl_shutdown.recv() => {}
            _ = self.ctrl_logoff.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
}
