//! The engine's side of the API: the socket's server, a task per connection, within limits
//! that another program of the same user cannot push it past. Probed from outside, 2,000 idle
//! connections under `ulimit -n 1024` once made `accept` fail with EMFILE in a busy loop (4.7
//! million log lines in 10 s, every other caller hanging), and a 1 GB line without a newline
//! grew the engine to 1 GB. Now: accept failures back off, connections are capped in all and
//! per process, a connection that says nothing is closed, a request line has a length, and a
//! repeated warning is written once per interval with a count. Each connection knows its
//! [`Caller`]; each call is answered in [`answer`]; [`InProcess`] serves the same connections
//! to this process for `--standalone`.

mod answer;
mod in_process;

pub use answer::answer_json;
pub use in_process::InProcess;

use crate::api::calls::{Events, Heard, Login};
use crate::api::{Call, Caller, Line, Op};
use crate::clipboard::Clipboard;
use crate::engine::EngineHandle;
use crate::error::{Error, Result};
use crate::grant::authorization_code::LOGIN_TIMEOUT;
use crate::held::Held;
use crate::repeats::Repeats;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_util::sync::CancellationToken;

/// Connections served at once, in all and from one process (a script's loop of helpers needs
/// a few; the window and the tray one each).
const MAX_CONNECTIONS: usize = 256;
const MAX_PER_PROCESS: usize = 32;
/// A connection must say something this soon after it opens, and again this soon after its
/// last answer (a stream, `events` or `login`, is exempt once it started).
const FIRST_WORDS: Duration = Duration::from_secs(10);
const BETWEEN_REQUESTS: Duration = Duration::from_secs(60);
/// The longest request line: an import of thousands of accounts fits.
pub const MAX_LINE_BYTES: usize = 8 << 20;
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

/// What a connection said next.
enum Said {
    Line(String),
    /// It hung up, or said nothing for too long.
    Nothing,
    /// A line longer than [`MAX_LINE_BYTES`].
    TooLong,
}

/// The next request line, waited for `within` (`None`: as long as it takes).
async fn next_line<R: AsyncRead + Unpin>(
    read: &mut BufReader<R>,
    within: Option<Duration>,
) -> std::io::Result<Said> {
    let reading = async {
        let mut bytes = Vec::new();
        let limit = u64::try_from(MAX_LINE_BYTES)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let n = (&mut *read)
            .take(limit)
            .read_until(b'\n', &mut bytes)
            .await?;
        if n == 0 {
            return Ok(Said::Nothing);
        }
        match bytes.last() {
            Some(b'\n') => {
                bytes.pop();
            }
            // Cut at the limit, not at a newline.
            _ if bytes.len() > MAX_LINE_BYTES => return Ok(Said::TooLong),
            // The last line, without its newline.
            _ => {}
        }
        Ok(Said::Line(String::from_utf8_lossy(&bytes).into_owned()))
    };
    match within {
        Some(within) => tokio::time::timeout(within, reading)
            .await
            .unwrap_or(Ok(Said::Nothing)),
        None => reading.await,
    }
}

/// Serves one connection: its calls, one after another, until it hangs up.
pub(crate) async fn connection<S>(
    engine: EngineHandle,
    clipboard: Option<Arc<dyn Clipboard>>,
    stream: S,
    caller: Caller,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (read, mut write) = tokio::io::split(stream);
    let mut read = BufReader::new(read);
    let mut within = FIRST_WORDS;
    let served = answer::Served {
        engine,
        clipboard,
        caller,
    };
    loop {
        let line = match next_line(&mut read, Some(within)).await? {
            Said::Line(line) => line,
            Said::Nothing => return Ok(()),
            Said::TooLong => {
                let e = Error::BadRequest(format!(
                    "a request line longer than {} MiB; the connection is closed",
                    MAX_LINE_BYTES >> 20
                ));
                return write.write_all(&error_line(&e)).await;
            }
        };
        within = BETWEEN_REQUESTS;
        let Ok(Op { op }) = serde_json::from_str::<Op>(&line) else {
            let e = match serde_json::from_str::<serde_json::Value>(&line) {
                Err(e) => Error::BadRequest(e.to_string()),
                Ok(_) => Error::BadRequest("a request names its call: {\"op\": …}".into()),
            };
            write.write_all(&error_line(&e)).await?;
            continue;
        };
        match op.as_str() {
            Login::OP => login(&served, &line, &mut read, &mut write).await?,
            Events::OP => return events(&served.engine, &mut read, &mut write).await,
            _ => {
                write
                    .write_all(&answer::line(&served, &op, &line).await)
                    .await?
            }
        }
    }
}

/// A line of the protocol: the JSON and its newline.
pub(crate) fn line_of<A: Serialize, I: Serialize>(line: &Line<A, I>) -> Vec<u8> {
    let mut out = serde_json::to_vec(line).unwrap_or_else(|e| {
        let e = Error::Internal(format!("an answer could not be written: {e}"));
        serde_json::to_vec(&Line::<(), ()>::Error((&e).into())).unwrap_or_default()
    });
    out.push(b'\n');
    out
}

pub(crate) fn error_line(e: &Error) -> Vec<u8> {
    line_of(&Line::<(), ()>::Error(e.into()))
}

/// Passes every event on as it comes, until the client writes or hangs up (or the engine
/// stops). Events a slow reader missed are said as a count, then it goes on.
async fn events<R, W>(
    engine: &EngineHandle,
    read: &mut BufReader<R>,
    write: &mut W,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    use tokio::sync::broadcast::error::RecvError;
    let mut events = engine.subscribe();
    let stop = engine.stopped();
    loop {
        let heard = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = next_line(read, None) => return Ok(()),
            event = events.recv() => match event {
                Ok(event) => Heard::Event(event),
                Err(RecvError::Lagged(n)) => Heard::Missed(n),
                Err(RecvError::Closed) => return Ok(()),
            },
        };
        let item: Line<(), Heard> = Line::Item { item: heard };
        write.write_all(&line_of(&item)).await?;
    }
}

/// Runs a login, passing its prompts on as they come, then its end.
async fn login<R, W>(
    served: &answer::Served,
    line: &str,
    read: &mut BufReader<R>,
    write: &mut W,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let Login { name } = match serde_json::from_str(line) {
        Ok(call) => call,
        Err(e) => {
            return write
                .write_all(&error_line(&Error::BadRequest(e.to_string())))
                .await
        }
    };
    let cancel = CancellationToken::new();
    let (prompts, mut prompted) = tokio::sync::mpsc::unbounded_channel();
    let prompt = move |p| {
        prompts
            .send(p)
            .map_err(|_| "the client has gone".to_string())
    };
    let run = served
        .engine
        .login(&name, prompt, cancel.clone(), LOGIN_TIMEOUT);
    tokio::pin!(run);
    let item = |p| line_of::<(), _>(&Line::Item { item: p });
    let result = loop {
        tokio::select! {
            biased;
            Some(p) = prompted.recv() => write.write_all(&item(p)).await?,
            result = &mut run => break result,
            // The client wrote or hung up: the person gave up.
            _ = next_line(read, None), if !cancel.is_cancelled() => cancel.cancel(),
        }
    };
    while let Ok(p) = prompted.try_recv() {
        write.write_all(&item(p)).await?;
    }
    let end = match result {
        Ok(()) => line_of::<(), ()>(&Line::Ok { answer: () }),
        Err(e) => error_line(&e),
    };
    write.write_all(&end).await
}
