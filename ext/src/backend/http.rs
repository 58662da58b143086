//! The HTTP client under KV Connect: hyper's pooled client over rustls (the
//! ring provider, named explicitly so the process's default provider does
//! not matter), HTTP/1.1 and HTTP/2, `http://` and `https://`.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use deno_error::JsErrorBox;
use denokv_remote::{RemoteResponse, RemoteTransport};
use futures::{Stream, StreamExt};
use http_body_util::{BodyExt, BodyStream, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use url::Url;

use crate::config::RemoteOptions;

/// How many requests a database has in flight at once. Over HTTP/1.1 each
/// takes a connection of its own until its response arrives, so without a
/// bound a burst of concurrent operations would open a connection each
/// (measured: 5,000 concurrent gets opened 5,000); the others wait for a
/// kept-alive one. (Deno multiplexes them on one HTTP/2 connection, which
/// costs more per sequential operation.)
const MAX_IN_FLIGHT: usize = 32;

/// POSTs KV Connect requests; clones share one connection pool.
#[derive(Clone)]
pub struct HttpTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Permits for [`MAX_IN_FLIGHT`] requests.
    in_flight: Arc<tokio::sync::Semaphore>,
    user_agent: http::HeaderValue,
    /// The last failure to reach the server, for the error of a call that
    /// gave up waiting while the client retried.
    last_error: Arc<Mutex<Option<String>>>,
}

impl HttpTransport {
    /// A client with `options`' TLS roots, user agent and connect timeout.
    pub fn new(options: &RemoteOptions) -> Result<HttpTransport, JsErrorBox> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = match &options.root_certificates {
            Some(roots) => roots.root_certificates()?.clone(),
            None => rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| JsErrorBox::generic(format!("TLS setup failed: {err}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(options.connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let user_agent = http::HeaderValue::from_str(&options.user_agent)
            .map_err(|_| JsErrorBox::type_error("Invalid KV Connect user agent"))?;
        Ok(HttpTransport {
            client,
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            user_agent,
            last_error: Arc::default(),
        })
    }

    /// The last error met reaching the server, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn record(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }
}

/// `err` and its sources, joined as Deno's fetch client shows them.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    text
}

impl RemoteTransport for HttpTransport {
    type Response = HttpResponse;

    async fn post(
        &self,
        url: Url,
        mut headers: http::HeaderMap,
        body: Bytes,
    ) -> Result<(Url, http::StatusCode, HttpResponse), JsErrorBox> {
        let uri: http::Uri = url
            .as_str()
            .parse()
            .map_err(|err: http::uri::InvalidUri| JsErrorBox::type_error(err.to_string()))?;
        headers.insert(http::header::USER_AGENT, self.user_agent.clone());
        let mut request = http::Request::new(Full::new(body));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        // Held until the response's head arrives (a watch's body streams
        // on for as long as it is watched, without holding a permit).
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|err| JsErrorBox::generic(err.to_string()))?;
        let sent = SyncFuture::new(self.client.request(request)).await;
        match sent {
            Ok(response) => {
                self.record(None);
                let status = response.status();
                let body = response
                    .into_body()
                    .map_err(|err| error_chain(&err))
                    .boxed();
                Ok((url, status, HttpResponse(Mutex::new(Some(body)))))
            }
            Err(err) => {
                let message = format!(
                    "error sending request for url ({url}): {}",
                    error_chain(&err)
                );
                self.record(Some(message.clone()));
                Err(JsErrorBox::generic(message))
            }
        }
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, String>;

/// A response whose body is read once (`Mutex` because the transport's
/// response must be `Sync`).
pub struct HttpResponse(Mutex<Option<Body>>);

impl HttpResponse {
    /// A response whose body is `bytes`, already read.
    pub fn from_bytes(bytes: Bytes) -> HttpResponse {
        let body = Full::new(bytes).map_err(|never| match never {}).boxed();
        HttpResponse(Mutex::new(Some(body)))
    }

    fn take(self) -> Result<Body, JsErrorBox> {
        self.0
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .ok_or_else(|| JsErrorBox::generic("KV Connect response body already read"))
    }
}

impl RemoteResponse for HttpResponse {
    async fn bytes(self) -> Result<Bytes, JsErrorBox> {
        let body = self.take()?;
        let collected = SyncFuture::new(body.collect()).await;
        collected
            .map(|c| c.to_bytes())
            .map_err(|err| JsErrorBox::generic(format!("error reading a response body: {err}")))
    }

    async fn text(self) -> Result<String, JsErrorBox> {
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|err| JsErrorBox::generic(err.to_string()))
    }

    fn stream(self) -> impl Stream<Item = Result<Bytes, JsErrorBox>> + Send + Sync {
        let body = match self.take() {
            Ok(body) => body,
            Err(err) => return SyncStream::new(futures::stream::once(async { Err(err) }).boxed()),
        };
        let frames = BodyStream::new(body).filter_map(|frame| async move {
            match frame {
                Ok(frame) => frame.into_data().ok().map(Ok),
                Err(err) => Some(Err(JsErrorBox::generic(format!(
                    "error reading a response body: {err}"
                )))),
            }
        });
        SyncStream::new(frames.boxed())
    }
}

/// Makes a `Send` future `Sync` by only ever polling it through `&mut`
/// (the transport's futures must be `Sync`; hyper's are not).
struct SyncFuture<F>(Mutex<std::pin::Pin<Box<F>>>);

impl<F> SyncFuture<F> {
    fn new(future: F) -> Self {
        SyncFuture(Mutex::new(Box::pin(future)))
    }
}

impl<F: std::future::Future> std::future::Future for SyncFuture<F> {
    type Output = F::Output;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.get_mut();
        this.0
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .poll(cx)
    }
}

/// Makes a `Send` stream `Sync` the same way.
struct SyncStream<T>(Mutex<futures::stream::BoxStream<'static, T>>);

impl<T> SyncStream<T> {
    fn new(stream: futures::stream::BoxStream<'static, T>) -> Self {
        SyncStream(Mutex::new(stream))
    }
}

impl<T> Stream for SyncStream<T> {
    type Item = T;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        let this = self.get_mut();
        this.0
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .poll_next_unpin(cx)
    }
}
