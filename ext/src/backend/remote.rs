//! The KV Connect backend: `Deno.openKv("http(s)://…")` through Deno's own
//! client (`denokv_remote`: metadata exchange and refresh, retries with
//! randomized exponential backoff, watch streaming), over [`HttpTransport`],
//! with eventual reads routed to read replicas ([`replicas`]). Opening
//! checks the metadata endpoint first, with Deno's messages.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deno_error::JsErrorBox;
use denokv_proto::Database;
use denokv_remote::{MetadataEndpoint, Remote, RemotePermissions, RemoteResponse, RemoteTransport};
use futures::StreamExt;
use url::Url;

use crate::backend::http::HttpTransport;
use crate::backend::replicas::{self, ReplicaTransport};
use crate::backend::{
    AtomicWrite, Consistency, Entry, KvBackend, KvValue, MutationKind, QueueMessageHandle,
    ReadRange, Versionstamp, WatchKey, WatchStream,
};
use crate::config::{KvPermissions, OpenTarget, RemoteOptions};

/// The environment variable holding the access token (Deno's name).
pub const ACCESS_TOKEN_ENV: &str = "DENO_KV_ACCESS_TOKEN";

/// The KV Connect protocol versions `denokv_remote` 0.14 speaks.
const SUPPORTED_PROTOCOL_VERSIONS: [u64; 3] = [1, 2, 3];

/// How long opening waits for the metadata endpoint (Deno's 30 seconds).
const METADATA_VALIDATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Asks the embedder's permission hook about every data-path URL the server's
/// metadata names, as Deno checks net access for each call.
#[derive(Clone)]
struct HookPermissions(Arc<dyn KvPermissions>);

impl RemotePermissions for HookPermissions {
    fn check_net_url(&self, url: &Url) -> Result<(), JsErrorBox> {
        self.0.check_open(OpenTarget::Remote(url.as_str()))
    }
}

/// An open KV Connect database.
pub struct RemoteBackend {
    remote: Remote<HookPermissions, ReplicaTransport>,
    transport: ReplicaTransport,
    permissions: Arc<dyn KvPermissions>,
    url: Url,
    operation_timeout: Duration,
}

impl RemoteBackend {
    /// Opens the database at `url`: checks env access to the token variable
    /// (when the token comes from it) and the URL with the permission hook,
    /// gets the token, then validates the metadata endpoint.
    pub async fn open(
        url: &str,
        permissions: Arc<dyn KvPermissions>,
        options: &RemoteOptions,
    ) -> Result<RemoteBackend, JsErrorBox> {
        let Ok(parsed) = Url::parse(url) else {
            return Err(JsErrorBox::type_error(format!(
                "Invalid database url: {url}"
            )));
        };
        if options.access_token.is_none() {
            permissions.check_env(ACCESS_TOKEN_ENV)?;
        }
        permissions.check_open(OpenTarget::Remote(parsed.as_str()))?;
        let access_token = match &options.access_token {
            Some(provider) => provider.access_token(&parsed)?,
            None => std::env::var(ACCESS_TOKEN_ENV).map_err(|_| {
                JsErrorBox::generic(
                    "Missing DENO_KV_ACCESS_TOKEN environment variable. Please set it to your access token from https://console.deno.com",
                )
            })?,
        };
        let endpoint = MetadataEndpoint {
            url: parsed.clone(),
            access_token,
        };
        let transport = ReplicaTransport::new(HttpTransport::new(options)?, parsed.clone());
        validate_metadata_endpoint(&transport, &endpoint).await?;
        let remote = Remote::new(
            transport.clone(),
            HookPermissions(permissions.clone()),
            endpoint,
        );
        Ok(RemoteBackend {
            remote,
            transport,
            permissions,
            url: parsed,
            operation_timeout: options.operation_timeout,
        })
    }

    /// Runs one call of the client, which retries unreachable servers and
    /// server errors without end: gives up after the operation timeout.
    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, JsErrorBox>>,
    ) -> Result<T, JsErrorBox> {
        match tokio::time::timeout(self.operation_timeout, call).await {
            Ok(result) => result,
            Err(_) => {
                let reason = self
                    .transport
                    .last_error()
                    .map(|err| format!(": {err}"))
                    .unwrap_or_default();
                Err(JsErrorBox::generic(format!(
                    "KV Connect request to '{}' did not complete within {} seconds{reason}",
                    self.url,
                    self.operation_timeout.as_secs_f64()
                )))
            }
        }
    }
}

/// Fetches the metadata endpoint once and checks that it describes a
/// database, so that a wrong URL fails at `Deno.openKv` with Deno's messages
/// instead of on first use. (Deno does the same before starting the client,
/// which then exchanges metadata again.)
async fn validate_metadata_endpoint(
    client: &ReplicaTransport,
    endpoint: &MetadataEndpoint,
) -> Result<(), JsErrorBox> {
    let url = &endpoint.url;
    let request = denokv_proto::MetadataExchangeRequest {
        supported_versions: SUPPORTED_PROTOCOL_VERSIONS.to_vec(),
    };
    let body = serde_json::to_vec(&request).map_err(|err| JsErrorBox::generic(err.to_string()))?;
    let post = client.post(url.clone(), endpoint.headers(), body.into());
    let (_, status, response) = match tokio::time::timeout(METADATA_VALIDATION_TIMEOUT, post).await
    {
        Ok(result) => result.map_err(|err| {
            JsErrorBox::type_error(format!(
                "Could not open Deno KV database: failed to connect to '{url}': {err}"
            ))
        })?,
        Err(_) => {
            return Err(JsErrorBox::type_error(format!(
                "Could not open Deno KV database: timed out connecting to the metadata endpoint at '{url}' after {} seconds",
                METADATA_VALIDATION_TIMEOUT.as_secs()
            )))
        }
    };
    if status != http::StatusCode::OK {
        let body = response.text().await.unwrap_or_default();
        let body = body.trim();
        let detail = if body.is_empty() {
            String::new()
        } else {
            format!(": {}", body.chars().take(512).collect::<String>())
        };
        return Err(JsErrorBox::type_error(format!(
            "Could not open Deno KV database: the metadata endpoint at '{url}' responded with status {status}{detail}"
        )));
    }
    let body = response.text().await.map_err(|err| {
        JsErrorBox::type_error(format!(
            "Could not open Deno KV database: failed to read the metadata response from '{url}': {err}"
        ))
    })?;
    #[derive(serde::Deserialize)]
    struct MetadataVersion {
        version: u64,
    }
    // The version alone first, so that an unsupported one is named as such.
    let version = serde_json::from_str::<MetadataVersion>(&body)
        .map_err(|err| {
            JsErrorBox::type_error(format!(
                "Could not open Deno KV database: '{url}' is not a valid KV Connect endpoint (failed to read the metadata version: {err})"
            ))
        })?
        .version;
    if !SUPPORTED_PROTOCOL_VERSIONS.contains(&version) {
        return Err(JsErrorBox::type_error(format!(
            "Could not open Deno KV database: '{url}' reported unsupported KV Connect metadata version {version}"
        )));
    }
    serde_json::from_str::<denokv_proto::DatabaseMetadata>(&body).map_err(|err| {
        JsErrorBox::type_error(format!(
            "Could not open Deno KV database: '{url}' is not a valid KV Connect endpoint (failed to parse metadata response: {err})"
        ))
    })?;
    Ok(())
}

fn to_proto_value(value: KvValue) -> denokv_proto::KvValue {
    match value {
        KvValue::V8(bytes) => denokv_proto::KvValue::V8(bytes),
        KvValue::U64(n) => denokv_proto::KvValue::U64(n),
        KvValue::Bytes(bytes) => denokv_proto::KvValue::Bytes(bytes),
    }
}

fn from_proto_entry(entry: denokv_proto::KvEntry) -> Entry {
    Entry {
        key: entry.key,
        value: match entry.value {
            denokv_proto::KvValue::V8(bytes) => KvValue::V8(bytes),
            denokv_proto::KvValue::U64(n) => KvValue::U64(n),
            denokv_proto::KvValue::Bytes(bytes) => KvValue::Bytes(bytes),
        },
        versionstamp: Versionstamp(entry.versionstamp),
    }
}

fn to_proto_write(write: AtomicWrite) -> Result<denokv_proto::AtomicWrite, JsErrorBox> {
    let checks = write
        .checks
        .into_iter()
        .map(|check| denokv_proto::Check {
            key: check.key,
            versionstamp: check.versionstamp.map(|v| v.0),
        })
        .collect();
    let mut mutations = Vec::with_capacity(write.mutations.len());
    for mutation in write.mutations {
        let expire_at = match mutation.expire_at_ms {
            Some(ms) => Some(chrono::DateTime::from_timestamp_millis(ms).ok_or_else(|| {
                JsErrorBox::type_error("Invalid mutation: expireIn is too large")
            })?),
            None => None,
        };
        let kind = match (mutation.kind, mutation.append_versionstamp) {
            (MutationKind::Set(value), true) => {
                denokv_proto::MutationKind::SetSuffixVersionstampedKey(to_proto_value(value))
            }
            (MutationKind::Set(value), false) => {
                denokv_proto::MutationKind::Set(to_proto_value(value))
            }
            (MutationKind::Delete, _) => denokv_proto::MutationKind::Delete,
            (MutationKind::Sum(value), _) => denokv_proto::MutationKind::Sum {
                value: to_proto_value(value),
                min_v8: Vec::new(),
                max_v8: Vec::new(),
                clamp: false,
            },
            (MutationKind::Min(value), _) => denokv_proto::MutationKind::Min(to_proto_value(value)),
            (MutationKind::Max(value), _) => denokv_proto::MutationKind::Max(to_proto_value(value)),
        };
        mutations.push(denokv_proto::Mutation {
            key: mutation.key,
            kind,
            expire_at,
        });
    }
    // (refused by the client, which has no queues; converted for the error)
    let now = kv_engine::now_ms();
    let mut enqueues = Vec::with_capacity(write.enqueues.len());
    for enqueue in write.enqueues {
        let at = now.saturating_add(enqueue.delay_ms.min(i64::MAX as u64) as i64);
        enqueues.push(denokv_proto::Enqueue {
            payload: enqueue.payload,
            deadline: chrono::DateTime::from_timestamp_millis(at)
                .ok_or_else(|| JsErrorBox::type_error("Invalid enqueue delay"))?,
            keys_if_undelivered: enqueue.keys_if_undelivered,
            backoff_schedule: enqueue.backoff_schedule,
        });
    }
    Ok(denokv_proto::AtomicWrite {
        checks,
        mutations,
        enqueues,
    })
}

#[async_trait(?Send)]
impl KvBackend for RemoteBackend {
    async fn snapshot_read(
        &self,
        ranges: Vec<ReadRange>,
        consistency: Consistency,
    ) -> Result<Vec<Vec<Entry>>, JsErrorBox> {
        // A range with limit 0 reads nothing: it is not sent.
        let sent: Vec<denokv_proto::ReadRange> = ranges
            .iter()
            .filter_map(|range| {
                let limit = NonZeroU32::new(range.limit.min(u32::MAX as usize) as u32)?;
                Some(denokv_proto::ReadRange {
                    start: range.start.clone(),
                    end: range.end.clone(),
                    limit,
                    reverse: range.reverse,
                })
            })
            .collect();
        let options = denokv_proto::SnapshotReadOptions {
            consistency: match consistency {
                Consistency::Strong => denokv_proto::Consistency::Strong,
                Consistency::Eventual => denokv_proto::Consistency::Eventual,
            },
        };
        let replica = match consistency {
            Consistency::Eventual => self.transport.replica(),
            Consistency::Strong => None,
        };
        let mut outputs = if sent.is_empty() {
            Vec::new()
        } else if let Some(replica) = replica {
            self.permissions
                .check_open(OpenTarget::Remote(replica.as_str()))?;
            let read = self.remote.snapshot_read(sent, options);
            self.bounded(replicas::read_from(replica, read)).await?
        } else {
            self.bounded(self.remote.snapshot_read(sent, options))
                .await?
        }
        .into_iter();
        let mut results = Vec::with_capacity(ranges.len());
        for range in &ranges {
            if range.limit == 0 {
                results.push(Vec::new());
                continue;
            }
            let output = outputs
                .next()
                .ok_or_else(|| JsErrorBox::generic("KV Connect returned too few ranges"))?;
            results.push(output.entries.into_iter().map(from_proto_entry).collect());
        }
        Ok(results)
    }

    async fn atomic_write(&self, write: AtomicWrite) -> Result<Option<Versionstamp>, JsErrorBox> {
        let write = to_proto_write(write)?;
        let result = self.bounded(self.remote.atomic_write(write)).await?;
        Ok(result.map(|commit| Versionstamp(commit.versionstamp)))
    }

    /// As Deno's remote backend: KV Connect has no queues, so `listenQueue`
    /// waits (with Deno's warning), until the database closes.
    async fn dequeue_next_message(
        &self,
    ) -> Result<Option<Box<dyn QueueMessageHandle>>, JsErrorBox> {
        eprintln!("KV Connect does not support queues.");
        std::future::pending().await
    }

    fn watch(&self, keys: Vec<Vec<u8>>) -> WatchStream {
        let updates = self.remote.watch(keys).map(|update| {
            update.map(|keys| {
                keys.into_iter()
                    .map(|key| match key {
                        denokv_proto::WatchKeyOutput::Unchanged => WatchKey::Unchanged,
                        denokv_proto::WatchKeyOutput::Changed { entry } => {
                            WatchKey::Changed(entry.map(from_proto_entry))
                        }
                    })
                    .collect()
            })
        });
        Box::pin(updates)
    }

    fn close(&self) {
        self.remote.close();
    }
}
