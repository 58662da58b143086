//! `fetch` against a real HTTP server, and the web platform (and Deno's fs
//! API, `tests/differential/fs.ts`) differentially against Deno. kvrt has no `Deno.serve`, so the server is a small HTTP/1.1
//! responder on a `std::net::TcpListener` bound to 127.0.0.1 by this test;
//! scripts get its URL as `Deno.args[0]`.

mod common;

use common::{deno_bin, workspace};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::thread;

/// One parsed request: method, target, headers (lower-cased names), body.
struct HttpRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<HttpRequest> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(HttpRequest {
        method,
        target,
        headers,
        body,
    })
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn respond(mut stream: TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn handle(stream: TcpStream) {
    let Some(req) = read_request(&stream) else {
        return;
    };
    let path = req.target.split('?').next().unwrap_or("");
    match path {
        "/echo" => {
            // The request as JSON: the headers a script chose (x-*, content-type).
            let headers: Vec<String> = req
                .headers
                .iter()
                .filter(|(name, _)| name.starts_with("x-") || name == "content-type")
                .map(|(name, value)| format!("[{},{}]", json_string(name), json_string(value)))
                .collect();
            let body = format!(
                "{{\"method\":{},\"target\":{},\"headers\":[{}],\"body\":{}}}",
                json_string(&req.method),
                json_string(&req.target),
                headers.join(","),
                json_string(&String::from_utf8_lossy(&req.body)),
            );
            respond(
                stream,
                "200 OK",
                &[("content-type", "application/json")],
                body.as_bytes(),
            );
        }
        "/text" => respond(
            stream,
            "200 OK",
            &[("content-type", "text/plain; charset=utf-8")],
            "hello from 127.0.0.1 ✓".as_bytes(),
        ),
        "/redirect" => respond(stream, "302 Found", &[("location", "/text")], b""),
        "/bytes" => {
            let body: Vec<u8> = (0..=255u8).collect();
            respond(
                stream,
                "200 OK",
                &[("content-type", "application/octet-stream")],
                &body,
            );
        }
        "/chunked" => {
            let mut stream = stream;
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n",
            );
            for chunk in ["first ", "second ", "third"] {
                let _ = stream.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
                let _ = stream.flush();
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        _ => respond(
            stream,
            "404 Not Found",
            &[("content-type", "text/plain")],
            b"no such path",
        ),
    }
}

/// Starts the server on 127.0.0.1 (an ephemeral port); returns its base URL.
/// It serves until the test process exits.
fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || handle(stream));
        }
    });
    format!("http://{addr}")
}

fn run(deno: bool, script: &str, args: &[&str]) -> Output {
    let mut command = if deno {
        let mut c = Command::new(deno_bin());
        c.args(["run", "-A", script]);
        c.env("DENO_NO_UPDATE_CHECK", "1").env("NO_COLOR", "1");
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kvrt"));
        c.args(["run", "-A", script]);
        c
    };
    command
        .args(args)
        .current_dir(workspace())
        .env("KVRT_DIR", std::env::temp_dir().join("kvrt-platform-tests"))
        .output()
        .expect("runtime starts")
}

fn stdout_of(who: &str, output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{who} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn fetch_from_a_local_server() {
    let base = start_server();
    let dir = std::env::temp_dir().join(format!("kvrt-platform-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("fetch.ts");
    std::fs::write(
        &script,
        r#"
const base = Deno.args[0];
const res = await fetch(`${base}/echo?id=7`, {
  method: "POST",
  headers: { "x-request": "kv" },
  body: "body text",
});
const echoed = await res.json();
console.log(res.status, res.headers.get("content-type"));
console.log(echoed.method, echoed.target, JSON.stringify(echoed.headers), echoed.body);
const text = await fetch(`${base}/text`);
console.log(text.status, await text.text());
const missing = await fetch(`${base}/nothing`);
console.log(missing.status, missing.ok, await missing.text());
const followed = await fetch(`${base}/redirect`);
console.log(followed.redirected, followed.url === `${base}/text`);
const bytes = new Uint8Array(await (await fetch(`${base}/bytes`)).arrayBuffer());
console.log(bytes.length, bytes[0], bytes[255]);
console.log(await (await fetch(`${base}/chunked`)).text());
"#,
    )
    .expect("write script");
    let out = run(false, script.to_str().expect("utf-8 path"), &[&base]);
    let stdout = stdout_of("kvrt", &out);
    assert_eq!(
        stdout,
        "200 application/json\n\
         POST /echo?id=7 [[\"x-request\",\"kv\"],[\"content-type\",\"text/plain;charset=UTF-8\"]] body text\n\
         200 hello from 127.0.0.1 ✓\n\
         404 false no such path\n\
         true true\n\
         256 0 255\n\
         first second third\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fetch_to_a_closed_port_fails_cleanly() {
    // A port that was just bound and released: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = std::env::temp_dir().join(format!("kvrt-platform-closed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("closed.ts");
    std::fs::write(
        &script,
        "try { await fetch(Deno.args[0]); console.log('no error'); } \
         catch (e) { console.log(e instanceof TypeError, (e as Error).message.length > 0); }\n",
    )
    .expect("write script");
    let url = format!("http://127.0.0.1:{port}/");
    let out = run(false, script.to_str().expect("utf-8 path"), &[&url]);
    assert_eq!(stdout_of("kvrt", &out), "true true\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn platform_matches_deno() {
    let base = start_server();
    let script = "tests/differential/platform.ts";
    let from_deno = stdout_of("deno", &run(true, script, &[&base]));
    let from_kvrt = stdout_of("kvrt", &run(false, script, &[&base]));
    if from_deno != from_kvrt {
        let diff: Vec<String> = from_deno
            .lines()
            .zip(from_kvrt.lines())
            .filter(|(d, k)| d != k)
            .map(|(d, k)| format!("deno: {d}\nkvrt: {k}"))
            .collect();
        panic!(
            "{script}: kvrt differs from Deno:\n{}\n(deno {} lines, kvrt {} lines)",
            diff.join("\n"),
            from_deno.lines().count(),
            from_kvrt.lines().count()
        );
    }
}

#[test]
fn fs_api_matches_deno() {
    let script = "tests/differential/fs.ts";
    let dir = std::env::temp_dir().join(format!("kvrt-platform-fs-{}", std::process::id()));
    let dir_arg = dir.to_str().expect("utf-8 path");
    let mut outputs = Vec::new();
    for deno in [true, false] {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let who = if deno { "deno" } else { "kvrt" };
        outputs.push(stdout_of(who, &run(deno, script, &[dir_arg])));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        outputs[0].contains("read after close !! BadResource"),
        "{}",
        outputs[0]
    );
    assert_eq!(
        outputs[1], outputs[0],
        "{script}: kvrt (right) differs from Deno (left)"
    );
}
