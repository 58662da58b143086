//! Read replicas: a `consistency: "eventual"` read goes to an endpoint the
//! database's metadata lists as `"eventual"`, everything else to the strong
//! one. `denokv_remote` always calls the strong endpoint, so this transport
//! under it keeps the eventual endpoints of each metadata response it
//! carries, and sends a snapshot read made inside [`read_from`] to the given
//! replica instead, falling back to the strong endpoint when the replica
//! fails (cannot be reached or does not answer 200).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use deno_error::JsErrorBox;
use denokv_remote::{RemoteResponse, RemoteTransport};
use url::Url;

use crate::backend::http::{HttpResponse, HttpTransport};

/// The data-path method of a snapshot read.
const SNAPSHOT_READ: &str = "snapshot_read";

tokio::task_local! {
    /// The replica's snapshot-read URL for the read being made.
    static REPLICA: Url;
}

/// Runs `read` (a snapshot read of the client) against `replica`, a URL
/// from [`ReplicaTransport::replica`].
pub async fn read_from<T>(replica: Url, read: impl std::future::Future<Output = T>) -> T {
    REPLICA.scope(replica, read).await
}

/// [`HttpTransport`] plus the routing of eventual reads.
#[derive(Clone)]
pub struct ReplicaTransport {
    http: HttpTransport,
    /// The database's URL: responses from it are metadata.
    metadata_url: Url,
    /// The eventual endpoints of the latest metadata.
    replicas: Arc<Mutex<Vec<Url>>>,
}

impl ReplicaTransport {
    /// Routes through `http` for the database at `metadata_url`.
    pub fn new(http: HttpTransport, metadata_url: Url) -> ReplicaTransport {
        ReplicaTransport {
            http,
            metadata_url,
            replicas: Arc::default(),
        }
    }

    /// The snapshot-read URL of the replica to read from (the first eventual
    /// endpoint listed), if the metadata lists any.
    pub fn replica(&self) -> Option<Url> {
        let replicas = self.replicas.lock().unwrap_or_else(|e| e.into_inner());
        let endpoint = replicas.first()?;
        Url::parse(&format!("{endpoint}/{SNAPSHOT_READ}")).ok()
    }

    /// The last error met reaching the server, if any.
    pub fn last_error(&self) -> Option<String> {
        self.http.last_error()
    }

    /// Keeps the eventual endpoints of the metadata `body` served from
    /// `base` (relative URLs resolve against it from version 2 on, as in
    /// `denokv_remote`). Metadata that does not parse lists none.
    fn observe_metadata(&self, base: &Url, body: &[u8]) {
        let endpoints = serde_json::from_slice::<denokv_proto::DatabaseMetadata>(body)
            .map(|metadata| {
                metadata
                    .endpoints
                    .iter()
                    .filter(|endpoint| endpoint.consistency == "eventual")
                    .filter_map(|endpoint| match metadata.version {
                        1 => Url::parse(&endpoint.url).ok(),
                        _ => base.join(&endpoint.url).ok(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        *self.replicas.lock().unwrap_or_else(|e| e.into_inner()) = endpoints;
    }
}

impl RemoteTransport for ReplicaTransport {
    type Response = HttpResponse;

    async fn post(
        &self,
        url: Url,
        headers: http::HeaderMap,
        body: Bytes,
    ) -> Result<(Url, http::StatusCode, HttpResponse), JsErrorBox> {
        if url == self.metadata_url {
            let (url, status, response) = self.http.post(url, headers, body).await?;
            if status != http::StatusCode::OK {
                return Ok((url, status, response));
            }
            let body = response.bytes().await?;
            self.observe_metadata(&url, &body);
            return Ok((url, status, HttpResponse::from_bytes(body)));
        }
        let replica = REPLICA.try_with(Url::clone).ok();
        let method = url
            .path_segments()
            .and_then(|mut segments| segments.next_back());
        if let Some(replica) = replica.filter(|_| method == Some(SNAPSHOT_READ)) {
            let sent = self.http.post(replica, headers.clone(), body.clone()).await;
            if let Ok(answer @ (_, http::StatusCode::OK, _)) = sent {
                return Ok(answer);
            }
        }
        self.http.post(url, headers, body).await
    }
}
