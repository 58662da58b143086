//! Transpiled modules kept on disk under `<data root>/gen`, as Deno keeps its
//! emit cache: a module whose source, URL and transpile options have not
//! changed is not transpiled again. The cache is an optimisation: failing to
//! read or write it only costs a transpile.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// What transpiling a module produced: JavaScript and its source map.
pub struct Emit {
    pub code: String,
    pub source_map: Vec<u8>,
}

/// An entry of the cache: the SHA-256 of everything the emit depends on.
pub struct Key(String);

impl Key {
    /// The key of `source`, served at `specifier` as `media_type`, transpiled
    /// with `options` (a description of every option that changes the
    /// output) by this build of kvrt.
    pub fn new(specifier: &str, media_type: &str, options: &str, source: &str) -> Key {
        let mut hasher = Sha256::new();
        for part in [
            env!("CARGO_PKG_VERSION"),
            specifier,
            media_type,
            options,
            source,
        ] {
            // Each part with its length, so that no two lists of parts collide.
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        Key(hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    fn path(&self) -> PathBuf {
        kv_ext::data_root().join("gen").join(&self.0)
    }
}

/// The emit stored under `key`, if any.
pub fn get(key: &Key) -> Option<Emit> {
    let bytes = std::fs::read(key.path()).ok()?;
    // [code length: u64 LE][code][source map]
    let (length, rest) = bytes.split_first_chunk::<8>()?;
    let length = usize::try_from(u64::from_le_bytes(*length)).ok()?;
    if length > rest.len() {
        return None;
    }
    let (code, source_map) = rest.split_at(length);
    Some(Emit {
        code: String::from_utf8(code.to_vec()).ok()?,
        source_map: source_map.to_vec(),
    })
}

/// Stores `emit` under `key`. Written to a file of this process first and
/// then renamed, so readers see a whole entry or none.
pub fn put(key: &Key, emit: &Emit) {
    let path = key.path();
    let Some(dir) = path.parent() else { return };
    let _ = std::fs::create_dir_all(dir);
    let mut bytes = Vec::with_capacity(8 + emit.code.len() + emit.source_map.len());
    bytes.extend_from_slice(&(emit.code.len() as u64).to_le_bytes());
    bytes.extend_from_slice(emit.code.as_bytes());
    bytes.extend_from_slice(&emit.source_map);
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
