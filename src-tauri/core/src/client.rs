//! The one client of the engine's API, over any [`Transport`]: the CLI, the credential helpers
//! and the accounts window all use it. Blocking (std only): `tokentray token` starts no async
//! runtime, so a cached token costs little more than starting a process; the window calls it
//! from a blocking task. Each call answers with its own type ([`Call::Answer`]); an engine's
//! error comes back as [`Error::Engine`] with its code and words unchanged.

use crate::api::calls::Hello;
use crate::api::{Call, Framed, Line, Streamed, PROTOCOL_VERSION};
use crate::error::{Cause, Error, Result};
use crate::transport::Transport;
use serde::de::DeserializeOwned;
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

/// How long a request waits for the engine by default (`TOKENTRAY_TIMEOUT`, `--timeout`).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

pub struct Client<T: Transport> {
    read: BufReader<T::Stream>,
    write: T::Stream,
    /// How long any one answer may take; `None`: as long as it takes.
    deadline: Option<Duration>,
}

/// Ends a connection from another thread (a login the person gave up): the engine takes the
/// hang-up as cancelling, and the reader wakes up.
pub struct HangUp<T: Transport>(T::Stream);

impl<T: Transport> HangUp<T> {
    pub fn hang_up(&self) {
        T::hang_up(&self.0);
    }
}

impl<T: Transport> Client<T> {
    /// Connects and agrees on the protocol; `None` when no engine is there.
    pub fn connect(transport: &T, deadline: Option<Duration>) -> Result<Option<Client<T>>> {
        let Some(mut client) = Client::open(transport, deadline)? else {
            return Ok(None);
        };
        client.send(&Hello {
            version: PROTOCOL_VERSION,
        })?;
        client.greeted()?;
        Ok(Some(client))
    }

    /// Connects, or says that no engine is running (naming where it looked).
    pub fn connect_or_fail(transport: &T, deadline: Option<Duration>) -> Result<Client<T>> {
        Client::connect(transport, deadline)?
            .ok_or_else(|| Error::EngineNotRunning(transport.place()))
    }

    /// Connects and makes one call in a single write (the greeting and the call together,
    /// one round trip): `None` when no engine is there. The fast paths' way.
    pub fn ask<C: Call>(
        transport: &T,
        call: &C,
        deadline: Option<Duration>,
    ) -> Result<Option<(Client<T>, C::Answer)>> {
        let Some(mut client) = Client::open(transport, deadline)? else {
            return Ok(None);
        };
        let hello = Hello {
            version: PROTOCOL_VERSION,
        };
        let mut out = Framed::new(&hello).line();
        out.extend(Framed::new(call).line());
        client.write_all(&out)?;
        client.greeted()?;
        let answer = client.answer::<C>()?;
        Ok(Some((client, answer)))
    }

    fn open(transport: &T, deadline: Option<Duration>) -> Result<Option<Client<T>>> {
        let Some(stream) = transport.open(deadline)? else {
            return Ok(None);
        };
        let socket = |e| Error::socket("the engine's socket", e);
        T::set_deadline(&stream, deadline).map_err(socket)?;
        let write = T::try_clone(&stream).map_err(socket)?;
        Ok(Some(Client {
            read: BufReader::new(stream),
            write,
            deadline,
        }))
    }

    /// One call, its answer.
    pub fn call<C: Call>(&mut self, call: &C) -> Result<C::Answer> {
        self.send(call)?;
        self.answer::<C>()
    }

    /// A streamed call: `each` is given every item as it comes (the person takes their time,
    /// the events come when they happen: no deadline), then its answer.
    pub fn stream<C: Streamed>(
        &mut self,
        call: &C,
        mut each: impl FnMut(C::Item),
    ) -> Result<C::Answer> {
        self.send(call)?;
        self.deadline = None;
        T::set_deadline(self.read.get_ref(), None)
            .map_err(|e| Error::socket("the engine's socket", e))?;
        loop {
            match self.line::<C::Answer, C::Item>()? {
                Line::Item { item } => each(item),
                Line::Ok { answer } => return Ok(answer),
                Line::Error(e) => return Err(Error::Engine(e)),
            }
        }
    }

    /// A handle that ends this connection from another thread.
    pub fn hang_up_handle(&self) -> Result<HangUp<T>> {
        T::try_clone(&self.write)
            .map(HangUp)
            .map_err(|e| Error::socket("the engine's socket", e))
    }

    fn send<C: Call>(&mut self, call: &C) -> Result<()> {
        self.write_all(&Framed::new(call).line())
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let written = self.write.write_all(bytes);
        written.map_err(|e| self.socket_error(e))
    }

    /// Reads the answer to the greeting.
    fn greeted(&mut self) -> Result<()> {
        self.answer::<Hello>().map(drop)
    }

    /// The one answer of a plain call.
    fn answer<C: Call>(&mut self) -> Result<C::Answer> {
        match self.line::<C::Answer, serde::de::IgnoredAny>()? {
            Line::Ok { answer } => Ok(answer),
            Line::Error(e) => Err(Error::Engine(e)),
            Line::Item { .. } => Err(Error::EngineGarbled {
                cause: Cause::new(std::io::Error::other(format!(
                    "a stream's item in answer to {:?}",
                    C::OP
                ))),
            }),
        }
    }

    /// The next line, read as a [`Line`] of these types. (Never shown whole: it may hold a
    /// token.)
    fn line<A: DeserializeOwned, I: DeserializeOwned>(&mut self) -> Result<Line<A, I>> {
        let mut text = String::new();
        let read = self.read.read_line(&mut text);
        if read.map_err(|e| self.socket_error(e))? == 0 {
            return Err(Error::socket(
                "the engine closed the connection before answering",
                std::io::ErrorKind::UnexpectedEof.into(),
            ));
        }
        serde_json::from_str(&text).map_err(|e| Error::EngineGarbled {
            cause: Cause::new(e),
        })
    }

    fn socket_error(&self, e: std::io::Error) -> Error {
        match crate::transport::stalled(&e) {
            true => crate::transport::not_responding(self.deadline),
            false => Error::socket("the engine's socket", e),
        }
    }
}
