//! The engine's side of the API: the socket's server, a task per connection, within limits
//! that another program of the same user cannot push it past. Probed from outside, 2,000 idle
//! connections under `ulimit -n 1024` once made `accept` fail with EMFILE in a busy loop (4.7
//! million log lines in 10 s, every other caller hanging), and a 1 GB line without a newline
//! grew the engine to 1 GB. Now: accept failures back off, connections are capped in all and
//! per process, a connection that says nothing is closed, a request line has a length, and a
//! repeated warning is written once per interval with a count. Connections come in through
//! [`listen`] (the socket, or Windows's named pipe); each knows its [`Caller`]; each call is
//! answered in [`answer`]; [`InProcess`] serves the same connections to this process for
//! `--standalone`.

mod answer;
mod in_process;
mod listen;

pub use answer::answer_json;
pub use in_process::InProcess;
pub use listen::serve;

use crate::api::calls::{Events, Heard, Login};
use crate::api::{Call, Caller, Line, Op};
use crate::clipboard::Clipboard;
use crate::engine::EngineHandle;
use crate::error::Error;
use crate::grant::authorization_code::LOGIN_TIMEOUT;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_util::sync::CancellationToken;

/// A connection must say something this soon after it opens, and again this soon after its
/// last answer (a stream, `events` or `login`, is exempt once it started).
const FIRST_WORDS: Duration = Duration::from_secs(10);
const BETWEEN_REQUESTS: Duration = Duration::from_secs(60);
/// The longest request line: an import of thousands of accounts fits.
pub const MAX_LINE_BYTES: usize = 8 << 20;
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
