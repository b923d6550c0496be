//! One engine per data directory: the app and `tokentray daemon` hold `engine.lock`; a second
//! engine is refused with the process that holds it.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

pub const LOCK_FILE: &str = "engine.lock";

/// Held for the engine's lifetime; the OS releases it when the process ends, however it ends.
pub struct DirLock {
    _file: File,
}

pub fn acquire(dir: &Path) -> Result<DirLock> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::Storage(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {
            let _ = file.set_len(0);
            let _ = file.seek(SeekFrom::Start(0));
            let _ = write!(file, "{}", std::process::id());
            let _ = file.flush();
            Ok(DirLock { _file: file })
        }
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let who = if pid.is_empty() {
                "another process".to_string()
            } else {
                format!("process {pid}")
            };
            Err(Error::EngineRunning(format!(
                "another Tokentray engine ({who}) is using {}: use that one (the app or `tokentray daemon`), or stop it first",
                dir.display()
            )))
        }
        Err(TryLockError::Error(e)) => Err(Error::Storage(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid() {
        let dir = std::env::temp_dir().join(format!("tokentray-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let held = super::acquire(&dir).unwrap();
        let err = super::acquire(&dir).err().unwrap();
        assert_eq!(err.code(), "engine_running");
        assert!(
            err.to_string().contains(&std::process::id().to_string()),
            "{err}"
        );
        drop(held);
        assert!(super::acquire(&dir).is_ok());
    }
}
