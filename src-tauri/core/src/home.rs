//! Where Tokentray keeps its files: `TOKENTRAY_HOME` if set (tests, portable installs, the
//! demo), else the platform's data directory (`~/.local/share/tokentray` on Linux).

use std::path::PathBuf;

pub fn data_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("TOKENTRAY_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home);
    }
    directories::ProjectDirs::from("dev", "tokentray", "tokentray")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".tokentray"))
}

/// A data directory or its socket must be this user's: another user's engine would be handed
/// our secrets (an import) and hand us its tokens. Missing is fine (nothing is there yet).
/// (Windows: the data directory is in the user's own %APPDATA%, and the engine's pipe lets only
/// its owner open it; no owner check is made here.)
pub fn check_owner(path: &std::path::Path) -> crate::Result<()> {
    #[cfg(not(unix))]
    let _ = path;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(crate::Error::Storage(format!("{}: {e}", path.display())));
            }
        };
        let me = rustix::process::getuid().as_raw();
        if meta.uid() != me {
            return Err(crate::Error::InvalidConfig(format!(
                "{} belongs to another user (uid {}, you are {me}): Tokentray uses only your own data directory",
                path.display(),
                meta.uid()
            )));
        }
    }
    Ok(())
}

/// The accounts file the engine brings in at start, when present.
pub const PROFILE_FILE: &str = "profile.toml";

pub fn profile_path() -> PathBuf {
    data_dir().join(PROFILE_FILE)
}

/// Variables that open the vault: never passed on to a command Tokentray starts (hooks,
/// `command` grants, `tokentray exec`).
pub const VAULT_ENV: &[&str] = &["TOKENTRAY_PASSPHRASE", "TOKENTRAY_PASSPHRASE_FILE"];

/// The vault key's source from the environment: a passphrase when `TOKENTRAY_PASSPHRASE` or
/// `TOKENTRAY_PASSPHRASE_FILE` is set (headless machines, chosen knowingly), else the OS
/// keyring.
pub fn key_source(dir: &std::path::Path) -> crate::Result<crate::vault::KeySource> {
    use crate::vault::{KeySource, OsKeyring};
    if let Some(p) = std::env::var_os("TOKENTRAY_PASSPHRASE").filter(|p| !p.is_empty()) {
        return Ok(KeySource::Passphrase(crate::Secret::new(
            p.to_string_lossy(),
        )));
    }
    if let Some(file) = std::env::var_os("TOKENTRAY_PASSPHRASE_FILE").filter(|p| !p.is_empty()) {
        let text = std::fs::read_to_string(&file).map_err(|e| {
            crate::Error::InvalidConfig(format!(
                "TOKENTRAY_PASSPHRASE_FILE {}: {e}",
                PathBuf::from(&file).display()
            ))
        })?;
        return Ok(KeySource::Passphrase(crate::Secret::new(
            text.trim_end_matches(['\r', '\n']),
        )));
    }
    Ok(KeySource::Store(Box::new(OsKeyring::for_data_dir(dir))))
}
