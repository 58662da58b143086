//! Helpers shared by the Rust integration tests in this directory.

use std::path::PathBuf;

/// The real `denokv` server, for the KV Connect suites.
#[allow(dead_code)]
pub mod denokv;

/// The workspace root: scripts and fixtures are run from there.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("runtime/ has a parent")
        .to_path_buf()
}

/// Where the real Deno 2.9.6, the oracle of the differential tests, is:
/// `KVRT_DENO_BIN`, else where `scripts/setup.sh --with-deno` installs it.
fn deno_path() -> PathBuf {
    std::env::var_os("KVRT_DENO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("node_modules/@deno/linux-x64-glibc/deno"))
}

/// The real Deno. Panics without it: a differential test never passes
/// without comparing.
#[allow(dead_code)]
pub fn deno_bin() -> PathBuf {
    let path = deno_path();
    assert!(
        path.is_file(),
        "no Deno binary at {} (run ./scripts/setup.sh --with-deno)",
        path.display()
    );
    path
}

/// The real Deno, or `None` (said loudly) when `KVRT_SKIP_DENO=1` allows
/// skipping; panics otherwise.
#[allow(dead_code)]
pub fn deno_or_skip() -> Option<PathBuf> {
    let path = deno_path();
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("KVRT_SKIP_DENO").as_deref() == Ok("1") {
        eprintln!("skipping: no Deno binary at {}", path.display());
        return None;
    }
    panic!(
        "no Deno binary at {} (run ./scripts/setup.sh --with-deno, or set KVRT_SKIP_DENO=1)",
        path.display()
    );
}

/// A fixture HTTP server started by [`serve_dir`].
#[allow(dead_code)]
pub struct FixtureServer {
    /// The base URL, ending in `/`.
    pub url: String,
    /// While set, every request gets `503 Service Unavailable`.
    pub down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Serves the files under `root` over HTTP on 127.0.0.1 (a fixture
/// registry), on a thread that lives as long as the test process. `.ts` is
/// served as TypeScript and `.json` as JSON, as JSR does.
#[allow(dead_code)]
pub fn serve_dir(root: PathBuf) -> FixtureServer {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("local address").port();
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let is_down = down.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            let is_down = is_down.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                // Skip the headers.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request_line.split(' ').nth(1).unwrap_or("/");
                let path = path
                    .split('?')
                    .next()
                    .unwrap_or("/")
                    .trim_start_matches('/');
                let file = root.join(path);
                let safe = !path.split('/').any(|part| part == "..");
                let (status, body) = match std::fs::read(&file) {
                    _ if is_down.load(Ordering::SeqCst) => {
                        ("503 Service Unavailable", b"down".to_vec())
                    }
                    Ok(body) if safe => ("200 OK", body),
                    _ => ("404 Not Found", b"not found".to_vec()),
                };
                let content_type = match file.extension().and_then(|e| e.to_str()) {
                    Some("ts") => "application/typescript; charset=utf-8",
                    Some("js") => "application/javascript; charset=utf-8",
                    Some("json") => "application/json",
                    _ => "text/plain",
                };
                let mut stream = &stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            });
        }
    });
    FixtureServer {
        url: format!("http://127.0.0.1:{port}/"),
        down,
    }
}

/// Replaces each distinct versionstamp (20 lowercase hex digits) by `vs#<rank>`.
#[allow(dead_code)]
pub fn normalize_versionstamps(text: &str) -> String {
    let is_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    let bytes = text.as_bytes();
    let mut found = std::collections::BTreeSet::new();
    let mut spans = Vec::new();
    let mut i = 0;
    while i + 20 <= bytes.len() {
        let bounded =
            (i == 0 || !is_hex(bytes[i - 1])) && (i + 20 == bytes.len() || !is_hex(bytes[i + 20]));
        if bounded && bytes[i..i + 20].iter().all(|&c| is_hex(c)) {
            found.insert(&text[i..i + 20]);
            spans.push(i);
            i += 20;
        } else {
            i += 1;
        }
    }
    let ranks: Vec<&str> = found.into_iter().collect();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for start in spans {
        out.push_str(&text[last..start]);
        let rank = ranks
            .binary_search(&&text[start..start + 20])
            .unwrap_or_default();
        out.push_str(&format!("vs#{rank}"));
        last = start + 20;
    }
    out.push_str(&text[last..]);
    out
}
