//! Remote modules (`https:`/`http:` URLs, JSR files and metadata): fetched
//! once and kept in an on-disk cache under `<data root>/remote`, which later
//! runs use without the network.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use deno_core::ModuleSpecifier;
use sha2::{Digest, Sha256};

/// The largest remote file kvrt accepts (a module or a registry document).
const MAX_SIZE: u64 = 64 * 1024 * 1024;

/// How long a connection or a response may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A fetched file: its body and the `content-type` it was served with.
pub struct RemoteFile {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// The cache file of `url` (body) and of its content type.
fn cache_paths(url: &ModuleSpecifier) -> (PathBuf, PathBuf) {
    let digest = Sha256::digest(url.as_str().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let dir = kv_ext::data_root().join("remote");
    (dir.join(&hex), dir.join(format!("{hex}.type")))
}

/// Whether a cached copy is good enough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Immutable content (a module, a version's metadata): the cache wins.
    PreferCache,
    /// Content that changes (a package's version list): the network wins,
    /// the cache serves when the network fails.
    PreferNetwork,
}

fn read_cache(body_path: &PathBuf, type_path: &PathBuf) -> Option<RemoteFile> {
    let body = std::fs::read(body_path).ok()?;
    let content_type = std::fs::read_to_string(type_path).ok();
    Some(RemoteFile { body, content_type })
}

/// Returns `url`'s content, from the cache or the network (see [`Freshness`]).
pub fn fetch(url: &ModuleSpecifier, freshness: Freshness) -> Result<RemoteFile, String> {
    let (body_path, type_path) = cache_paths(url);
    if freshness == Freshness::PreferCache {
        if let Some(file) = read_cache(&body_path, &type_path) {
            return Ok(file);
        }
    }
    let file = match download(url) {
        Ok(file) => file,
        Err(err) => return read_cache(&body_path, &type_path).ok_or(err),
    };
    if let Some(dir) = body_path.parent() {
        // The cache is an optimisation: a failure to write it is not an error.
        let _ = std::fs::create_dir_all(dir);
        let tmp = body_path.with_extension("tmp");
        if std::fs::write(&tmp, &file.body).is_ok() {
            let _ = std::fs::rename(&tmp, &body_path);
        }
        if let Some(content_type) = &file.content_type {
            let _ = std::fs::write(&type_path, content_type);
        }
    }
    Ok(file)
}

/// Downloads `url`; an HTTP error status is an error naming it.
fn download(url: &ModuleSpecifier) -> Result<RemoteFile, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(url.as_str())
        .header("user-agent", concat!("kvrt/", env!("CARGO_PKG_VERSION")))
        .call()
        .map_err(|e| format!("Import '{url}' failed: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("Import '{url}' failed: {status}"));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_SIZE + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("Import '{url}' failed: {e}"))?;
    if body.len() as u64 > MAX_SIZE {
        return Err(format!(
            "Import '{url}' failed: larger than {MAX_SIZE} bytes"
        ));
    }
    Ok(RemoteFile { body, content_type })
}
