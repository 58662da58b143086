//! KV Connect against a fixture server (on 127.0.0.1, HTTP/1.1 and h2c,
//! since Deno's client speaks only HTTP/2) with the routes of Deno's own
//! test server: Deno's remote-backend unit tests pass under kvrt, and the
//! results of `Deno.openKv` (a database that answers, bad metadata, an
//! unsupported version, HTTP errors, a closed port, wrong or missing
//! tokens) are the same under Deno and kvrt.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Command, Output};

use bytes::Bytes;
use common::{deno_or_skip, workspace};
use denokv_proto::datapath::{
    AtomicWrite, AtomicWriteOutput, AtomicWriteStatus, ReadRangeOutput, SnapshotRead,
    SnapshotReadOutput, SnapshotReadStatus,
};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use prost::Message;

/// The token the fixture's metadata endpoints accept (Deno's test value).
const ACCESS_TOKEN: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The data-path token its metadata hands out.
const DATABASE_TOKEN: &str = "MOCKMOCKMOCKMOCKMOCKMOCKMOCK";
const DATABASE_ID: &str = "11111111-1111-1111-1111-111111111111";

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert("content-type", value);
    }
    response
}

fn json(value: serde_json::Value) -> Response<Full<Bytes>> {
    respond(
        StatusCode::OK,
        "application/json",
        value.to_string().into_bytes(),
    )
}

fn metadata(port: u16, version: u64) -> Response<Full<Bytes>> {
    json(serde_json::json!({
        "version": version,
        "databaseId": DATABASE_ID,
        "endpoints": [{
            "url": format!("http://localhost:{port}/kv_blackhole"),
            "consistency": "strong",
        }],
        "token": DATABASE_TOKEN,
        "expiresAt": "2099-01-01T00:00:00Z",
    }))
}

/// The routes of Deno's test server for KV Connect, plus a 500 and a body
/// that is not JSON.
async fn route(request: Request<hyper::body::Incoming>, port: u16) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let unauthorized = || respond(StatusCode::UNAUTHORIZED, "text/plain", Vec::new());
    let metadata_route = path.starts_with("/kv_remote_authorize");
    if metadata_route && authorization != format!("Bearer {ACCESS_TOKEN}") {
        return unauthorized();
    }
    if path.starts_with("/kv_blackhole/") && authorization != format!("Bearer {DATABASE_TOKEN}") {
        return unauthorized();
    }
    let bad_request = || respond(StatusCode::BAD_REQUEST, "text/plain", Vec::new());
    match path.as_str() {
        "/kv_remote_authorize" => metadata(port, 1),
        "/kv_remote_authorize_invalid_version" => metadata(port, 1000),
        "/kv_remote_authorize_invalid_format" => {
            json(serde_json::json!({ "version": 1, "databaseId": DATABASE_ID }))
        }
        "/kv_server_error" => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            b"internal trouble".to_vec(),
        ),
        "/kv_not_json" => respond(StatusCode::OK, "text/html", b"<html>hello</html>".to_vec()),
        "/kv_blackhole/snapshot_read" => match SnapshotRead::decode(&body[..]) {
            Ok(read) if !read.ranges.is_empty() => {
                let output = SnapshotReadOutput {
                    ranges: read
                        .ranges
                        .iter()
                        .map(|_| ReadRangeOutput { values: vec![] })
                        .collect(),
                    read_disabled: false,
                    read_is_strongly_consistent: true,
                    status: SnapshotReadStatus::SrSuccess.into(),
                };
                respond(
                    StatusCode::OK,
                    "application/x-protobuf",
                    output.encode_to_vec(),
                )
            }
            _ => bad_request(),
        },
        "/kv_blackhole/atomic_write" => match AtomicWrite::decode(&body[..]) {
            Ok(_) => {
                let output = AtomicWriteOutput {
                    status: AtomicWriteStatus::AwSuccess.into(),
                    versionstamp: vec![0u8; 10],
                    failed_checks: vec![],
                };
                respond(
                    StatusCode::OK,
                    "application/x-protobuf",
                    output.encode_to_vec(),
                )
            }
            Err(_) => bad_request(),
        },
        _ => respond(StatusCode::NOT_FOUND, "text/plain", b"Not Found".to_vec()),
    }
}

/// Starts the fixture on 127.0.0.1 (a thread with its own runtime, for the
/// test process's lifetime); returns its base URL.
fn start_fixture() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("address");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| async move {
                        Ok::<_, Infallible>(route(request, addr.port()).await)
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
                });
            }
        });
    });
    format!("http://localhost:{}", addr.port())
}

/// A URL whose port nothing listens on.
fn closed_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    format!("http://localhost:{port}")
}

fn run(mut command: Command, base: &str, closed: &str) -> Output {
    command
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env("KV_FIXTURE_URL", base)
        .env("KV_CLOSED_URL", closed)
        .output()
        .expect("runtime starts")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn deno_remote_backend_unit_tests_pass() {
    let (base, closed) = (start_fixture(), closed_url());
    let mut kvrt = Command::new(env!("CARGO_BIN_EXE_kvrt"));
    kvrt.args(["test", "-A", "tests/kv_connect/deno_remote_unit.ts"]);
    let output = run(kvrt, &base, &closed);
    let report = text(&output);
    assert!(output.status.success(), "kvrt test failed:\n{report}");
    assert!(report.contains("5 passed"), "{report}");
}

#[test]
fn open_errors_match_deno() {
    let Some(deno) = deno_or_skip() else { return };
    let (base, closed) = (start_fixture(), closed_url());
    let script = "tests/kv_connect/open_errors.ts";
    let mut command = Command::new(deno);
    command.args(["run", "--unstable-kv", "-A", script]);
    let deno_out = run(command, &base, &closed);
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvrt"));
    command.args(["run", "-A", script]);
    let kvrt_out = run(command, &base, &closed);
    assert!(deno_out.status.success(), "{}", text(&deno_out));
    assert!(kvrt_out.status.success(), "{}", text(&kvrt_out));
    let deno_text = String::from_utf8_lossy(&deno_out.stdout).into_owned();
    let kvrt_text = String::from_utf8_lossy(&kvrt_out.stdout).into_owned();
    assert_eq!(deno_text.lines().count(), 11, "{deno_text}");
    for (d, k) in deno_text.lines().zip(kvrt_text.lines()) {
        assert_eq!(k, d, "kvrt (left) differs from Deno (right)");
    }
    assert_eq!(deno_text.lines().count(), kvrt_text.lines().count());
}
