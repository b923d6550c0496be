//! Where connections come from: the data directory's Unix socket, or on Windows its named
//! pipe. Each accepted connection is checked (this user's, within the caps in all and per
//! process) and served on a task of its own by [`super::connection`]; accept failures back
//! off instead of spinning.

use super::{connection, error_line};
use crate::api::Caller;
use crate::clipboard::Clipboard;
use crate::engine::EngineHandle;
use crate::error::{Error, Result};
use crate::held::Held;
use crate::repeats::Repeats;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;

/// Connections served at once, in all and from one process (a script's loop of helpers needs
/// a few; the window and the tray one each).
const MAX_CONNECTIONS: usize = 256;
const MAX_PER_PROCESS: usize = 32;
/// After a failed accept (no descriptors left, say) the server waits, from this long up to
/// that long, instead of trying again at once.
const ACCEPT_WAIT_FIRST: Duration = Duration::from_millis(10);
const ACCEPT_WAIT_LONGEST: Duration = Duration::from_secs(1);

static ACCEPT_FAILED: Repeats = Repeats::every(Duration::from_secs(10));
static REFUSED: Repeats = Repeats::every(Duration::from_secs(10));

/// Serves the engine on this system's local transport for the data directory `home` (its
/// socket; on Windows its named pipe) until the engine shuts down; `clipboard` is the desktop
/// app's (the daemon has none).
pub async fn serve(
    engine: EngineHandle,
    home: PathBuf,
    clipboard: Option<Arc<dyn Clipboard>>,
) -> Result<()> {
    #[cfg(unix)]
    return serve_socket(
        engine,
        crate::transport::unix::socket_path(&home),
        clipboard,
    )
    .await;
    #[cfg(windows)]
    return serve_pipe(engine, &home, clipboard).await;
}

#[cfg(unix)]
async fn serve_socket(
    engine: EngineHandle,
    path: PathBuf,
    clipboard: Option<Arc<dyn Clipboard>>,
) -> Result<()> {
    crate::transport::unix::check_length(&path)?;
    // A socket file left by a crashed engine: we hold the directory's lock, so it is stale.
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)
        .map_err(|e| Error::io(format!("cannot listen on {}", path.display()), e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(format!("cannot restrict {}", path.display()), e))?;
    }
    let stop = engine.stopped();
    let open = Arc::new(Mutex::new(Open::default()));
    let mut wait = ACCEPT_WAIT_FIRST;
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                wait = ACCEPT_WAIT_FIRST;
                stream
            }
            Err(e) => {
                if !accept_failed("socket", &stop, &mut wait, e).await {
                    break;
                }
                continue;
            }
        };
        let caller = crate::transport::unix::caller(&stream);
        admit(&engine, &clipboard, &open, stream, caller, |s, line| {
            let _ = s.try_write(line);
        });
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// The named pipe: an instance waits for a client; once one connects, the next instance is
/// made before the connected one is served. Its name goes to the data directory's pipe file
/// once the first instance holds it.
#[cfg(windows)]
async fn serve_pipe(
    engine: EngineHandle,
    home: &std::path::Path,
    clipboard: Option<Arc<dyn Clipboard>>,
) -> Result<()> {
    use crate::transport::pipe;
    let name = pipe::new_name();
    let file = pipe::pipe_file(home);
    let mut waiting = pipe::server(&name, true)
        .map_err(|e| Error::io(format!("cannot make the pipe {name}"), e))?;
    std::fs::write(&file, &name)
        .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))?;
    let stop = engine.stopped();
    let open = Arc::new(Mutex::new(Open::default()));
    let mut wait = ACCEPT_WAIT_FIRST;
    loop {
        let connected = tokio::select! {
            _ = stop.cancelled() => break,
            connected = waiting.connect() => connected,
        };
        let next = connected.and_then(|()| pipe::server(&name, false));
        let next = match next {
            Ok(next) => {
                wait = ACCEPT_WAIT_FIRST;
                next
            }
            Err(e) => {
                if !accept_failed("pipe", &stop, &mut wait, e).await {
                    break;
                }
                // The instance may be connected (the next one failed) or broken: a fresh one.
                match pipe::server(&name, false) {
                    Ok(fresh) => waiting = fresh,
                    Err(e) => tracing::warn!("pipe instance: {e}"),
                }
                continue;
            }
        };
        let stream = std::mem::replace(&mut waiting, next);
        let caller = pipe::caller(&stream);
        admit(&engine, &clipboard, &open, stream, caller, |s, line| {
            let _ = s.try_write(line);
        });
    }
    let _ = std::fs::remove_file(&file);
    Ok(())
}

/// After a failed accept: said once per interval, then a wait that doubles up to a bound.
/// False when the engine stopped meanwhile.
async fn accept_failed(
    what: &str,
    stop: &CancellationToken,
    wait: &mut Duration,
    e: std::io::Error,
) -> bool {
    if let Some(left_out) = ACCEPT_FAILED.due(tokio::time::Instant::now()) {
        tracing::warn!(left_out, "{what} accept: {e}; waiting before the next");
    }
    let stopped = tokio::select! {
        _ = stop.cancelled() => true,
        _ = tokio::time::sleep(*wait) => false,
    };
    *wait = wait.saturating_mul(2).min(ACCEPT_WAIT_LONGEST);
    !stopped
}

/// A connection accepted: served on a task of its own when it is this user's and within the
/// caps, else refused (`refuse` says why without waiting: a client that does not read cannot
/// hold us).
fn admit<S>(
    engine: &EngineHandle,
    clipboard: &Option<Arc<dyn Clipboard>>,
    open: &Arc<Mutex<Open>>,
    stream: S,
    caller: std::io::Result<Caller>,
    refuse: impl FnOnce(&S, &[u8]),
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let caller = match caller {
        Ok(caller) if caller.uid == crate::transport::my_uid() => caller,
        other => {
            if let Some(left_out) = REFUSED.due(tokio::time::Instant::now()) {
                tracing::warn!(?other, left_out, "refused a connection from another user");
            }
            return;
        }
    };
    let slot = match Slot::take(open, caller.pid) {
        Ok(slot) => slot,
        Err(busy) => {
            if let Some(left_out) = REFUSED.due(tokio::time::Instant::now()) {
                tracing::warn!(pid = ?caller.pid, left_out, "{busy}");
            }
            refuse(&stream, &error_line(&busy));
            return;
        }
    };
    let engine = engine.clone();
    let clipboard = clipboard.clone();
    tokio::spawn(async move {
        let _slot = slot;
        if let Err(e) = connection(engine, clipboard, stream, caller).await {
            tracing::debug!("socket client: {e}");
        }
    });
}

/// The connections being served, in all and by process.
#[derive(Default)]
struct Open {
    all: usize,
    by_process: HashMap<Option<i32>, usize>,
}

/// One connection's place among the [`Open`] ones, given back when it ends.
struct Slot {
    open: Arc<Mutex<Open>>,
    pid: Option<i32>,
}

impl Slot {
    fn take(open: &Arc<Mutex<Open>>, pid: Option<i32>) -> Result<Slot> {
        let mut held = open.held();
        let mine = held.by_process.get(&pid).copied().unwrap_or(0);
        if held.all >= MAX_CONNECTIONS || mine >= MAX_PER_PROCESS {
            return Err(Error::EngineBusy(format!(
                "{} connections are open ({mine} from this process; at most {MAX_CONNECTIONS}, {MAX_PER_PROCESS} from one)",
                held.all
            )));
        }
        held.all = held.all.saturating_add(1);
        held.by_process.insert(pid, mine.saturating_add(1));
        Ok(Slot {
            open: open.clone(),
            pid,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.open.held();
        held.all = held.all.saturating_sub(1);
        if let Some(n) = held.by_process.get_mut(&self.pid) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.by_process.remove(&self.pid);
            }
        }
    }
}
