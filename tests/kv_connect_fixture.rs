//! KV Connect against a fixture server (on 127.0.0.1, HTTP/1.1 and h2c,
//! since Deno's client speaks only HTTP/2) with the routes of Deno's own
//! test server: Deno's remote-backend unit tests pass under kvrt, and the
//! results of `Deno.openKv` (a database that answers, bad metadata, an
//! unsupported version, HTTP errors, a closed port, wrong or missing
//! tokens) are the same under Deno and kvrt; `consistency: "eventual"`
//! reads go to a read replica the metadata lists (and fall back to the
//! strong endpoint when it fails), where Deno reads from the strong one.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::{deno_or_skip, workspace};
use denokv_proto::datapath::{
    AtomicWrite, AtomicWriteOutput, AtomicWriteStatus, KvEntry, ReadRangeOutput, SnapshotRead,
    SnapshotReadOutput, SnapshotReadStatus, ValueEncoding,
};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prost::Message;
use rustls::pki_types::PrivateKeyDer;
use tokio_rustls::TlsAcceptor;

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
    metadata_with(
        version,
        serde_json::json!([{
            "url": format!("http://localhost:{port}/kv_blackhole"),
            "consistency": "strong",
        }]),
    )
}

fn metadata_with(version: u64, endpoints: serde_json::Value) -> Response<Full<Bytes>> {
    json(serde_json::json!({
        "version": version,
        "databaseId": DATABASE_ID,
        "endpoints": endpoints,
        "token": DATABASE_TOKEN,
        "expiresAt": "2099-01-01T00:00:00Z",
    }))
}

/// A database with a strong endpoint and a read replica (version 3, URLs
/// relative to the metadata's), the replica being `replica`.
fn replicated_metadata(replica: &str) -> Response<Full<Bytes>> {
    metadata_with(
        3,
        serde_json::json!([
            { "url": "/kv_strong", "consistency": "strong" },
            { "url": replica, "consistency": "eventual" },
        ]),
    )
}

/// A V8-serialized one-byte string (how Deno stores `"text"`).
fn v8_string(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0x0f, b'"', text.len() as u8];
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// The key of the one entry a read range holds: a `get`'s key (the range
/// `key..key\0`), or `[...prefix, "z"]` for a `list` (`prefix\0..prefix\xff`).
fn key_in(start: &[u8], end: &[u8]) -> Vec<u8> {
    match (start.split_last(), end.last()) {
        (Some((0, prefix)), Some(0xff)) => [prefix, &[0x02, b'z', 0x00]].concat(),
        _ => start.to_vec(),
    }
}

/// A snapshot read answered by `endpoint`: each range holds one entry whose
/// value names the endpoint.
fn answer_read(read: &SnapshotRead, endpoint: &str, strong: bool) -> Response<Full<Bytes>> {
    let versionstamp = if strong { [0, 1] } else { [0, 2] };
    let output = SnapshotReadOutput {
        ranges: read
            .ranges
            .iter()
            .map(|range| ReadRangeOutput {
                values: vec![KvEntry {
                    key: key_in(&range.start, &range.end),
                    value: v8_string(&format!("from {endpoint}")),
                    encoding: ValueEncoding::VeV8.into(),
                    versionstamp: [&[0u8; 8][..], &versionstamp].concat(),
                }],
            })
            .collect(),
        read_disabled: false,
        read_is_strongly_consistent: strong,
        status: SnapshotReadStatus::SrSuccess.into(),
    };
    respond(
        StatusCode::OK,
        "application/x-protobuf",
        output.encode_to_vec(),
    )
}

/// The paths the fixture was asked for, in order, and `(connection)` for
/// each connection accepted.
type Log = Arc<Mutex<Vec<String>>>;

/// What a log records for an accepted connection.
const CONNECTION: &str = "(connection)";

/// The routes of Deno's test server for KV Connect, plus a 500, a body that
/// is not JSON, and a database with a read replica (a working one, and one
/// that answers 503).
async fn route(
    request: Request<hyper::body::Incoming>,
    port: u16,
    log: Log,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.clone());
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
    let data_path = ["/kv_blackhole/", "/kv_strong/", "/kv_replica/", "/kv_down/"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    if data_path && authorization != format!("Bearer {DATABASE_TOKEN}") {
        return unauthorized();
    }
    let bad_request = || respond(StatusCode::BAD_REQUEST, "text/plain", Vec::new());
    match path.as_str() {
        "/kv_remote_authorize" => metadata(port, 1),
        "/kv_remote_authorize_invalid_version" => metadata(port, 1000),
        "/kv_remote_authorize_replicated" => replicated_metadata("/kv_replica"),
        "/kv_remote_authorize_replica_down" => replicated_metadata("/kv_down"),
        "/kv_strong/snapshot_read" | "/kv_replica/snapshot_read" => {
            match SnapshotRead::decode(&body[..]) {
                Ok(read) if path.starts_with("/kv_strong/") => answer_read(&read, "strong", true),
                Ok(read) => answer_read(&read, "replica", false),
                Err(_) => bad_request(),
            }
        }
        "/kv_down/snapshot_read" => respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            b"replica down".to_vec(),
        ),
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
        "/kv_blackhole/atomic_write" | "/kv_strong/atomic_write" => {
            match AtomicWrite::decode(&body[..]) {
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
            }
        }
        _ => respond(StatusCode::NOT_FOUND, "text/plain", b"Not Found".to_vec()),
    }
}

/// Starts the fixture on 127.0.0.1 over plain HTTP (a thread with its own
/// runtime, for the test process's lifetime); returns its base URL and its
/// log of paths.
fn start_fixture() -> (String, Log) {
    start_fixture_with(None)
}

/// [`start_fixture`], over HTTPS when given a TLS acceptor.
fn start_fixture_with(tls: Option<TlsAcceptor>) -> (String, Log) {
    let log = Log::default();
    let paths = log.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("address");
    listener.set_nonblocking(true).expect("nonblocking");
    let scheme = if tls.is_some() { "https" } else { "http" };
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
                let log = paths.clone();
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(CONNECTION.to_string());
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let log = log.clone();
                        async move { Ok::<_, Infallible>(route(request, addr.port(), log).await) }
                    });
                    let http = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    );
                    let _ = match tls {
                        None => http.serve_connection(TokioIo::new(stream), service).await,
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => {
                                http.serve_connection(TokioIo::new(stream), service).await
                            }
                            Err(_) => return,
                        },
                    };
                });
            }
        });
    });
    (format!("{scheme}://localhost:{}", addr.port()), log)
}

/// A certificate authority made for one test: its certificate as a PEM
/// file in `dir`, and a TLS acceptor whose certificate for `localhost` it
/// signed (offering HTTP/2 and HTTP/1.1, as a KV Connect server does).
fn test_ca(dir: &Path) -> (PathBuf, TlsAcceptor) {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "kvrt test CA");
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().expect("key"))
        .expect("CA certificate");
    let key = rcgen::KeyPair::generate().expect("key");
    let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .and_then(|params| params.signed_by(&key, &ca))
        .expect("server certificate");
    let pem = dir.join("ca.pem");
    std::fs::write(&pem, ca.pem()).expect("write the CA");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|config| {
            config.with_no_client_auth().with_single_cert(
                vec![certificate.der().clone()],
                PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
        })
        .expect("server TLS configuration");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (pem, TlsAcceptor::from(Arc::new(config)))
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
    let ((base, _), closed) = (start_fixture(), closed_url());
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
    let ((base, _), closed) = (start_fixture(), closed_url());
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

/// The data-path calls `log` recorded (metadata exchanges left out).
fn data_calls(log: &Log) -> Vec<String> {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    log.iter()
        .filter(|path| path.as_str() != CONNECTION && !path.starts_with("/kv_remote_authorize"))
        .cloned()
        .collect()
}

/// Runs tests/kv_connect/replicas.ts under `command` against a fresh
/// fixture; returns its output lines and the data-path calls it made.
fn run_replicas(command: impl FnOnce(&str) -> Command) -> (Vec<String>, Vec<String>) {
    let ((base, log), closed) = (start_fixture(), closed_url());
    let script = "tests/kv_connect/replicas.ts";
    let output = run(command(script), &base, &closed);
    assert!(output.status.success(), "{}", text(&output));
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    (lines, data_calls(&log))
}

/// The value the line labelled `label` printed.
fn printed<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|line| line.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no line '{label}' in {lines:#?}"))
}

/// `kvrt run -A script`.
fn kvrt_command(script: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvrt"));
    command.args(["run", "-A", script]);
    command
}

/// The lines of tests/kv_connect/replicas.ts that the strong endpoint answers.
const STRONG_READS: [&str; 5] = [
    "strong get",
    "strong getMany",
    "strong list",
    "set",
    "fallback get",
];

#[test]
fn eventual_reads_go_to_the_read_replica() {
    let (lines, calls) = run_replicas(kvrt_command);
    for label in STRONG_READS {
        assert!(
            !printed(&lines, label).contains("replica"),
            "{label}: {lines:#?}"
        );
    }
    for label in [
        "strong get",
        "strong getMany",
        "strong list",
        "fallback get",
    ] {
        assert!(
            printed(&lines, label).contains("from strong"),
            "{label}: {lines:#?}"
        );
    }
    for label in ["eventual get", "eventual getMany", "eventual list"] {
        let line = printed(&lines, label);
        assert!(line.contains("from replica"), "{label}: {lines:#?}");
        assert!(!line.contains("from strong"), "{label}: {lines:#?}");
    }
    // get, getMany and list with each consistency, then a write; then one
    // eventual get whose replica fails and is retried on the strong endpoint.
    let expected = [
        "/kv_strong/snapshot_read",
        "/kv_strong/snapshot_read",
        "/kv_strong/snapshot_read",
        "/kv_replica/snapshot_read",
        "/kv_replica/snapshot_read",
        "/kv_replica/snapshot_read",
        "/kv_strong/atomic_write",
        "/kv_down/snapshot_read",
        "/kv_strong/snapshot_read",
    ];
    assert_eq!(calls, expected);
}

/// What the README says of Deno 2.9.6: every read goes to the strong
/// endpoint, whatever its consistency. Against the same fixture, kvrt's
/// strong reads print what Deno's do.
#[test]
fn deno_reads_every_consistency_from_the_strong_endpoint() {
    let Some(deno) = deno_or_skip() else { return };
    let (deno_lines, deno_calls) = run_replicas(|script| {
        let mut command = Command::new(&deno);
        command.args(["run", "--unstable-kv", "-A", script]);
        command
    });
    assert!(
        deno_calls
            .iter()
            .all(|path| path.starts_with("/kv_strong/")),
        "{deno_calls:#?}"
    );
    for label in ["eventual get", "eventual getMany", "eventual list"] {
        assert!(
            printed(&deno_lines, label).contains("from strong"),
            "{deno_lines:#?}"
        );
    }
    let (kvrt_lines, _) = run_replicas(kvrt_command);
    for label in STRONG_READS {
        assert_eq!(
            printed(&kvrt_lines, label),
            printed(&deno_lines, label),
            "{label}"
        );
    }
}

/// Runs tests/kv_connect/tls.ts against the HTTPS fixture under `client`
/// (`kvrt` or Deno's `deno` with its `run` flags) in each way of trusting
/// its certificate authority; returns the output, a line per way.
fn tls_report(client: &Path, run_flags: &[&str], base: &str, ca: &Path) -> String {
    let missing = ca.with_file_name("missing.pem");
    let ca_flag = ca.to_string_lossy().into_owned();
    let ways: [(&str, Option<&Path>, &[&str]); 4] = [
        ("untrusted", None, &[]),
        ("DENO_CERT", Some(ca), &[]),
        ("--cert", None, &["--cert", &ca_flag]),
        ("missing DENO_CERT", Some(&missing), &[]),
    ];
    let mut report = String::new();
    for (name, deno_cert, flags) in ways {
        let mut command = Command::new(client);
        command.arg("run").args(run_flags).args(flags);
        command
            .arg("tests/kv_connect/tls.ts")
            .env_remove("DENO_CERT");
        if let Some(file) = deno_cert {
            command.env("DENO_CERT", file);
        }
        let output = run(command, base, "");
        assert!(output.status.success(), "{name}: {}", text(&output));
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            report.push_str(&format!("{name}: {line}\n"));
        }
    }
    report
}

#[test]
fn https_trusts_the_certificates_deno_trusts() {
    let dir = std::env::temp_dir().join(format!("kvrt-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (ca, tls) = test_ca(&dir);
    let (base, _) = start_fixture_with(Some(tls));
    let kvrt = tls_report(Path::new(env!("CARGO_BIN_EXE_kvrt")), &["-A"], &base, &ca);
    let line = |prefix: &str| {
        kvrt.lines()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no '{prefix}' in\n{kvrt}"))
            .to_string()
    };
    let untrusted = line("untrusted: kv: ");
    assert!(
        untrusted.starts_with("TypeError: Could not open Deno KV database: failed to connect to"),
        "{kvrt}"
    );
    assert!(untrusted.contains("UnknownIssuer"), "{kvrt}");
    assert!(
        line("untrusted: fetch: ").starts_with("TypeError: "),
        "{kvrt}"
    );
    for way in ["DENO_CERT", "--cert"] {
        assert_eq!(
            line(&format!("{way}: kv: ")),
            "\"from strong\" true",
            "{kvrt}"
        );
        assert_eq!(line(&format!("{way}: fetch: ")), "404", "{kvrt}");
    }
    assert!(
        line("missing DENO_CERT: kv: ").starts_with("Error: Failed opening CA file: "),
        "{kvrt}"
    );
    if let Some(deno) = deno_or_skip() {
        let deno = tls_report(&deno, &["--unstable-kv", "-A"], &base, &ca);
        assert_eq!(kvrt, deno, "kvrt (left) differs from Deno (right)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Concurrent operations share a few kept-alive connections: 500 gets at
/// once do not open a connection each (HTTP/1.1 has one request in flight
/// per connection; kvrt sends at most 32 at a time).
#[test]
fn concurrent_operations_share_connections() {
    let ((base, log), closed) = (start_fixture(), closed_url());
    let mut command = Command::new(env!("CARGO_BIN_EXE_kvrt"));
    command.args(["run", "-A", "tests/kv_connect/concurrent.ts", "500"]);
    let output = run(command, &base, &closed);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "500 from strong"
    );
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    let reads = log
        .iter()
        .filter(|p| *p == "/kv_strong/snapshot_read")
        .count();
    let connections = log.iter().filter(|p| *p == CONNECTION).count();
    assert_eq!(reads, 500);
    assert!(connections < 100, "{connections} connections for 500 reads");
}
