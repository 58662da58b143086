//! Where a database lives: `:memory:`, a file path, the per-script default,
//! or a KV Connect URL.

use std::path::PathBuf;

use kv_engine::StoreLocation;
use sha2::{Digest, Sha256};

use crate::config::{DefaultLocation, KvConfig};
use crate::error::KvError;

/// File name of a default database inside its directory (as in Deno).
const DEFAULT_FILE_NAME: &str = "kv.sqlite3";

/// kvrt's data directory: `$KVRT_DIR`, else `$XDG_CACHE_HOME/kvrt`, else
/// `~/.cache/kvrt`.
pub fn data_root() -> PathBuf {
    std::env::var_os("KVRT_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("kvrt")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/kvrt")))
        .unwrap_or_else(|| std::env::temp_dir().join("kvrt"))
}

/// The directory that holds the default database of the script at
/// `main_module_url`: `<data root>/location_data/<sha256 of the URL>` (see
/// [`data_root`]).
pub fn default_database_dir(main_module_url: &str) -> PathBuf {
    let root = data_root();
    let digest = Sha256::digest(main_module_url.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    root.join("location_data").join(hex)
}

/// A resolved `Deno.openKv` argument.
#[derive(Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database (file or memory).
    Local(StoreLocation),
    /// A KV Connect URL (`http://` or `https://`).
    Remote(String),
}

/// Resolves the argument of `Deno.openKv(path)` like Deno does, including,
/// when `config.env_overrides` is on, the `DENO_KV_DB_MODE`,
/// `DENO_KV_DEFAULT_PATH` and `DENO_KV_PATH_PREFIX` overrides.
pub fn resolve_location(path: Option<&str>, config: &KvConfig) -> Result<Location, KvError> {
    let env = |name: &str| override_var(name, config);
    if env("DENO_KV_DB_MODE").as_deref() == Some("memory") {
        return Ok(Location::Local(StoreLocation::Memory));
    }
    let path = match path {
        None => match env("DENO_KV_DEFAULT_PATH") {
            Some(default_path) => default_path,
            None => return default_location(&config.default_location).map(Location::Local),
        },
        Some(path) => path.to_string(),
    };
    if path == ":memory:" {
        return Ok(Location::Local(StoreLocation::Memory));
    }
    if is_remote(&path) {
        return Ok(Location::Remote(path));
    }
    if path.is_empty() {
        return Err(KvError::EmptyFilename);
    }
    if path.starts_with(':') {
        return Err(KvError::ColonFilename);
    }
    let path = match env("DENO_KV_PATH_PREFIX") {
        Some(prefix) => format!("{prefix}{path}"),
        None => path,
    };
    check_file_name(&path)?;
    Ok(Location::Local(StoreLocation::File(PathBuf::from(path))))
}

/// Whether `Deno.openKv(path)` names a KV Connect URL.
pub fn is_remote(path: &str) -> bool {
    path.starts_with("http://") || path.starts_with("https://")
}

/// Whether `Deno.openKv(path)` opens the embedder's default database: no
/// path given and no `DENO_KV_DEFAULT_PATH` naming a file instead.
pub fn opens_default(path: Option<&str>, config: &KvConfig) -> bool {
    path.is_none() && override_var("DENO_KV_DEFAULT_PATH", config).is_none()
}

/// An environment override's value, when overrides are on.
fn override_var(name: &str, config: &KvConfig) -> Option<String> {
    if config.env_overrides {
        std::env::var(name).ok()
    } else {
        None
    }
}

/// The database `Deno.openKv()` opens when given no path.
fn default_location(location: &DefaultLocation) -> Result<StoreLocation, KvError> {
    match location {
        DefaultLocation::Memory => Ok(StoreLocation::Memory),
        DefaultLocation::Refuse(message) => Err(KvError::DefaultRefused(message.clone())),
        DefaultLocation::Dir(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| KvError::CreateDir {
                dir: dir.clone(),
                source,
            })?;
            Ok(StoreLocation::File(dir.join(DEFAULT_FILE_NAME)))
        }
    }
}

/// The longest file name (one path component) and path the OS accepts.
const NAME_MAX: usize = 255;
const PATH_MAX: usize = 4095;

/// Refuses, with Deno's short messages, names the OS cannot open, rather
/// than echoing them back whole from SQLite's error.
fn check_file_name(path: &str) -> Result<(), KvError> {
    if path.contains('\0') {
        return Err(KvError::NulInFilename);
    }
    if path.len() > PATH_MAX || path.split('/').any(|name| name.len() > NAME_MAX) {
        return Err(KvError::FilenameTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dir_is_keyed_by_url() {
        let a = default_database_dir("file:///a.ts");
        let b = default_database_dir("file:///b.ts");
        assert_ne!(a, b);
        assert!(a.parent().is_some_and(|p| p.ends_with("location_data")));
        let name = a.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert_eq!(name.len(), 64);
        assert!(name.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn bad_names() {
        let dir = &KvConfig::builder().default_dir("/nonexistent").build();
        assert!(
            matches!(resolve_location(Some(""), dir), Err(err @ KvError::EmptyFilename) if err.to_string() == "Filename cannot be empty")
        );
        assert!(matches!(
            resolve_location(Some(":x"), dir),
            Err(KvError::ColonFilename)
        ));
        assert!(matches!(
            resolve_location(Some(":memory:"), dir),
            Ok(Location::Local(StoreLocation::Memory))
        ));
        assert!(matches!(
            resolve_location(Some("https://kv.example/db"), dir),
            Ok(Location::Remote(url)) if url == "https://kv.example/db"
        ));
    }
}
