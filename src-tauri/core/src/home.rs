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

/// The accounts file the engine reads at start.
pub fn profile_path() -> PathBuf {
    data_dir().join("profile.toml")
}
