//! What an embedding runtime decides about Deno KV: where `Deno.openKv()`
//! without a path goes, who may open what, the limits, and whether the
//! `DENO_KV_*` environment overrides apply.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Duration;

use deno_error::JsErrorBox;
use kv_engine::limits;

use crate::backend::KvDatabaseHandler;

/// The extension's configuration, passed to [`kv_ext::init`](crate::kv_ext).
/// Build one with [`KvConfig::builder`].
#[derive(Clone)]
pub struct KvConfig {
    /// What `Deno.openKv()` without a path opens.
    pub default_location: DefaultLocation,
    /// Asked before any database opens.
    pub permissions: Arc<dyn KvPermissions>,
    /// Deno's limits on keys, values, reads, atomic operations and watches.
    pub limits: KvLimits,
    /// Whether `DENO_KV_DB_MODE`, `DENO_KV_DEFAULT_PATH` and
    /// `DENO_KV_PATH_PREFIX` change what `Deno.openKv` opens.
    pub env_overrides: bool,
    /// How KV Connect (`http(s)://` URLs) reaches servers.
    pub remote: RemoteOptions,
    /// Replaces the built-in choice of backend (see
    /// [`KvDatabaseHandler`]).
    pub handler: Option<Arc<dyn KvDatabaseHandler>>,
}

impl KvConfig {
    /// A builder starting from the defaults: `Deno.openKv()` in memory (as
    /// Deno without a storage directory), every open allowed, Deno's limits,
    /// environment overrides off.
    pub fn builder() -> KvConfigBuilder {
        KvConfigBuilder(KvConfig {
            default_location: DefaultLocation::Memory,
            permissions: Arc::new(AllowAll),
            limits: KvLimits::default(),
            env_overrides: false,
            remote: RemoteOptions::default(),
            handler: None,
        })
    }
}

impl Default for KvConfig {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl std::fmt::Debug for KvConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvConfig")
            .field("default_location", &self.default_location)
            .field("limits", &self.limits)
            .field("env_overrides", &self.env_overrides)
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

/// Sets [`KvConfig`]'s fields one at a time.
pub struct KvConfigBuilder(KvConfig);

impl KvConfigBuilder {
    /// `Deno.openKv()` opens `kv.sqlite3` in `dir` (created when missing);
    /// see [`default_database_dir`](crate::default_database_dir).
    pub fn default_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.0.default_location = DefaultLocation::Dir(dir.into());
        self
    }

    /// What `Deno.openKv()` opens.
    pub fn default_location(mut self, location: DefaultLocation) -> Self {
        self.0.default_location = location;
        self
    }

    /// The hook asked before every open.
    pub fn permissions(mut self, permissions: impl KvPermissions + 'static) -> Self {
        self.0.permissions = Arc::new(permissions);
        self
    }

    /// Replaces Deno's limits.
    pub fn limits(mut self, limits: KvLimits) -> Self {
        self.0.limits = limits;
        self
    }

    /// Whether the `DENO_KV_*` environment overrides apply.
    pub fn env_overrides(mut self, enabled: bool) -> Self {
        self.0.env_overrides = enabled;
        self
    }

    /// How KV Connect reaches servers (token, TLS roots, timeouts).
    pub fn remote(mut self, remote: RemoteOptions) -> Self {
        self.0.remote = remote;
        self
    }

    /// Opens every database through `handler` instead of the built-in
    /// SQLite and KV Connect backends.
    pub fn database_handler(mut self, handler: impl KvDatabaseHandler + 'static) -> Self {
        self.0.handler = Some(Arc::new(handler));
        self
    }

    /// The finished configuration.
    pub fn build(self) -> KvConfig {
        self.0
    }
}

/// What `Deno.openKv()` without a path opens.
#[derive(Clone, Debug)]
pub enum DefaultLocation {
    /// A private in-memory database (Deno's choice when it has no storage
    /// directory).
    Memory,
    /// The file `kv.sqlite3` in this directory.
    Dir(PathBuf),
    /// Nothing: the call fails with `TypeError` and this message.
    Refuse(String),
}

/// A database about to be opened, as the permission hook sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenTarget<'a> {
    /// `":memory:"` (or any open under `DENO_KV_DB_MODE=memory`).
    Memory,
    /// A database file, read and written; the path as it will be opened
    /// (after `DENO_KV_PATH_PREFIX`), relative to the working directory
    /// when not absolute.
    File(&'a Path),
    /// The embedder's default database (`Deno.openKv()` without a path,
    /// see [`DefaultLocation::Dir`]), which Deno opens without asking for
    /// any permission.
    Default(&'a Path),
    /// A KV Connect URL: the database's (before the metadata exchange),
    /// then each data-path endpoint its metadata names, before every call
    /// (as Deno checks net access).
    Remote(&'a str),
}

/// Decides which databases a script may open. The error is thrown to the
/// script as it is (class and message), so a runtime can use its own
/// permission errors: kvrt's are Deno's `NotCapable`.
pub trait KvPermissions: Send + Sync {
    /// Called before `target` opens; `Err` refuses it.
    fn check_open(&self, target: OpenTarget<'_>) -> Result<(), JsErrorBox>;

    /// Called before the extension reads environment variable `name` for a
    /// script (the KV Connect access token). Allowed unless overridden.
    fn check_env(&self, name: &str) -> Result<(), JsErrorBox> {
        let _ = name;
        Ok(())
    }
}

/// Allows every open.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl KvPermissions for AllowAll {
    fn check_open(&self, _target: OpenTarget<'_>) -> Result<(), JsErrorBox> {
        Ok(())
    }
}

/// Deno KV's limits, with the names and defaults of Deno's `KvConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvLimits {
    /// Largest encoded key written (`Key too large for write`); reads accept
    /// one byte more (the end of a single-key range).
    pub max_write_key_size_bytes: usize,
    /// Largest serialized value, and enqueue payload.
    pub max_value_size_bytes: usize,
    /// Most ranges in one read (`getMany` keys).
    pub max_read_ranges: usize,
    /// Most entries one read returns (`limit`, `batchSize`).
    pub max_read_entries: usize,
    /// Most checks in one atomic operation.
    pub max_checks: usize,
    /// Most mutations plus enqueues in one atomic operation.
    pub max_mutations: usize,
    /// Most keys one `watch` observes.
    pub max_watched_keys: usize,
    /// Largest total size of one atomic operation's keys and values.
    pub max_total_mutation_size_bytes: usize,
    /// Largest total size of one atomic operation's keys.
    pub max_total_key_size_bytes: usize,
}

impl KvLimits {
    /// Largest encoded key or range end accepted on read.
    pub fn max_read_key_size_bytes(&self) -> usize {
        self.max_write_key_size_bytes + 1
    }
}

impl Default for KvLimits {
    fn default() -> Self {
        Self {
            max_write_key_size_bytes: limits::MAX_WRITE_KEY_SIZE_BYTES,
            max_value_size_bytes: limits::MAX_VALUE_SIZE_BYTES,
            max_read_ranges: limits::MAX_READ_RANGES,
            max_read_entries: limits::MAX_READ_ENTRIES,
            max_checks: limits::MAX_CHECKS,
            max_mutations: limits::MAX_MUTATIONS,
            max_watched_keys: limits::MAX_WATCHED_KEYS,
            max_total_mutation_size_bytes: limits::MAX_TOTAL_MUTATION_SIZE_BYTES,
            max_total_key_size_bytes: limits::MAX_TOTAL_KEY_SIZE_BYTES,
        }
    }
}

/// How KV Connect reaches servers.
#[derive(Clone)]
pub struct RemoteOptions {
    /// Where the access token comes from; `None`: the environment variable
    /// `DENO_KV_ACCESS_TOKEN`, after [`KvPermissions::check_env`] (as Deno).
    pub access_token: Option<Arc<dyn KvAccessToken>>,
    /// The `user-agent` header.
    pub user_agent: String,
    /// The roots trusted for `https://`; `None`: Mozilla's (webpki-roots).
    pub root_certificates: Option<Arc<dyn KvRootCertificates>>,
    /// How long establishing one TCP connection may take.
    pub connect_timeout: Duration,
    /// How long one read or write may take, retries included (the client
    /// retries an unreachable server or a server error with backoff). Deno
    /// waits without end; past this kvrt fails the call with an `Error`
    /// naming the last network error.
    pub operation_timeout: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        Self {
            access_token: None,
            user_agent: concat!("kv_ext/", env!("CARGO_PKG_VERSION")).into(),
            root_certificates: None,
            connect_timeout: Duration::from_secs(10),
            operation_timeout: Duration::from_secs(30),
        }
    }
}

impl std::fmt::Debug for RemoteOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteOptions")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<provider>"),
            )
            .field("user_agent", &self.user_agent)
            .field(
                "root_certificates",
                &self.root_certificates.as_ref().map(|_| "<provider>"),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}

/// Supplies the KV Connect access token for a database URL (instead of the
/// `DENO_KV_ACCESS_TOKEN` environment variable).
pub trait KvAccessToken: Send + Sync {
    /// The token sent to the metadata endpoint of `url`.
    fn access_token(&self, url: &url::Url) -> Result<String, JsErrorBox>;
}

/// Supplies the roots trusted for `https://` KV Connect servers, asked at
/// each open of a database (so they can be loaded on first use, and a
/// failure to load them is thrown to the script by `Deno.openKv`, as Deno
/// does with `DENO_CERT`).
pub trait KvRootCertificates: Send + Sync {
    /// The trusted roots.
    fn root_certificates(&self) -> Result<&rustls::RootCertStore, JsErrorBox>;
}

/// A fixed set of roots.
impl KvRootCertificates for rustls::RootCertStore {
    fn root_certificates(&self) -> Result<&rustls::RootCertStore, JsErrorBox> {
        Ok(self)
    }
}

/// A fixed token.
impl KvAccessToken for String {
    fn access_token(&self, _url: &url::Url) -> Result<String, JsErrorBox> {
        Ok(self.clone())
    }
}
