//! The vault's passphrase, when a person must show they are there (`unlock`, `approve`):
//! TOKENTRAY_PASSPHRASE or TOKENTRAY_PASSPHRASE_FILE as every command reads them, else typed
//! at the terminal without echo. None for a vault whose key is in the keyring (the engine then
//! asks the desktop), and none without a terminal (the engine says what it needs).

use tokentray_cli::{view, Result};
use tokentray_core::api::calls::List;
use tokentray_core::api::SecretText;
use tokentray_core::client::Client;
use tokentray_core::home;
use tokentray_core::transport::Transport;
use tokentray_core::vault::KeySource;
#[cfg(unix)]
use tokentray_core::Error;

pub fn for_a_person<T: Transport>(client: &mut Client<T>) -> Result<Option<SecretText>> {
    // A reachable engine first: no passphrase is asked of someone whose engine is not there.
    client.call(&List {}).map_err(view)?;
    if let KeySource::Passphrase(p) = home::key_source(&home::data_dir()).map_err(view)? {
        return Ok(Some(SecretText::new(p.expose())));
    }
    typed()
}

/// On Windows the console's echo is not turned off here: no passphrase is typed; the engine
/// says what it needs, and TOKENTRAY_PASSPHRASE_FILE gives it.
#[cfg(not(unix))]
fn typed() -> Result<Option<SecretText>> {
    Ok(None)
}

/// The passphrase typed at the terminal (echo off); none when stdin is no terminal.
#[cfg(unix)]
fn typed() -> Result<Option<SecretText>> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(None);
    }
    let before = tcgetattr(&stdin).map_err(|e| view(Error::io("the terminal", e.into())))?;
    let mut quiet = before.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    eprint!("Vault passphrase (empty if the key is in the keyring): ");
    let _ = std::io::stderr().flush();
    tcsetattr(&stdin, OptionalActions::Now, &quiet)
        .map_err(|e| view(Error::io("the terminal", e.into())))?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    let _ = tcsetattr(&stdin, OptionalActions::Now, &before);
    eprintln!();
    read.map_err(|e| view(Error::io("the terminal", e)))?;
    let line = line.trim_end_matches(['\r', '\n']);
    Ok((!line.is_empty()).then(|| SecretText::new(line)))
}
