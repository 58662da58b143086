//! KV Connect against the real `denokv` server (see `common/denokv.rs`):
//! the same scripts under Deno and kvrt print the same results; data written
//! by one client reads the same in the other and in kvrt's local engine on
//! the server's file; a server killed mid-run fails writes within bounded
//! time without losing an acknowledged one.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::denokv::{DenoKv, TOKEN};
use common::{deno_or_skip, normalize_versionstamps, workspace};

/// A client runtime: the real Deno or kvrt.
#[derive(Clone, Copy, Debug)]
enum Client<'a> {
    Deno(&'a Path),
    Kvrt,
}

impl Client<'_> {
    fn command(self, script: &str) -> Command {
        let mut command = match self {
            Client::Deno(deno) => {
                let mut c = Command::new(deno);
                c.args(["run", "--unstable-kv", "-A", script]);
                c.env("DENO_NO_UPDATE_CHECK", "1");
                c
            }
            Client::Kvrt => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_kvrt"));
                c.args(["run", "-A", script]);
                c
            }
        };
        command
            .env("NO_COLOR", "1")
            .env("DENO_KV_ACCESS_TOKEN", TOKEN)
            .current_dir(workspace());
        command
    }

    /// Runs `script` with `args` to completion (bounded); returns stdout.
    fn run(self, script: &str, args: &[&str]) -> String {
        let mut child = self
            .command(script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runtime starts");
        let deadline = Instant::now() + Duration::from_secs(120);
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{self:?} {script} did not finish in 120 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().expect("output");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{self:?} {script} failed:\n{stdout}\n{stderr}"
        );
        stdout
    }
}

fn assert_same(what: &str, deno: &str, kvrt: &str) {
    if deno == kvrt {
        return;
    }
    let mut report = format!("{what}: kvrt differs from Deno\n");
    for (i, (d, k)) in deno.lines().zip(kvrt.lines()).enumerate() {
        if d != k {
            report.push_str(&format!("line {}:\n  deno: {d}\n  kvrt: {k}\n", i + 1));
        }
    }
    report.push_str(&format!(
        "({} lines from deno, {} from kvrt)\n--- deno\n{deno}\n--- kvrt\n{kvrt}",
        deno.lines().count(),
        kvrt.lines().count()
    ));
    panic!("{report}");
}

/// The scenario under each client, each against its own fresh server (so
/// that versionstamps rank the same).
#[test]
fn operations_match_deno() {
    let Some(deno) = deno_or_skip() else { return };
    let script = "tests/kv_connect/operations.ts";
    let output = |client: Client<'_>, name: &str| {
        let server = DenoKv::start(name);
        let out = client.run(script, &[&server.url()]);
        normalize_versionstamps(&out.replace(&server.url(), "<server>"))
    };
    let deno_out = output(Client::Deno(&deno), "ops-deno");
    let kvrt_out = output(Client::Kvrt, "ops-kvrt");
    assert!(
        deno_out.contains("watch 4"),
        "the scenario ran:\n{deno_out}"
    );
    assert_same(script, &deno_out, &kvrt_out);
}

/// Deno writes through the server, kvrt reads (and the reverse); kvrt's
/// local engine then opens the server's SQLite file and sees the same data.
fn interop(writer: Client<'_>, reader: Client<'_>) {
    let server = DenoKv::start("interop");
    let url = server.url();
    assert_eq!(
        writer.run("tests/kv_connect/write.ts", &[&url]),
        "written\n"
    );
    let through_server = reader.run("tests/kv_connect/read.ts", &[&url]);
    let by_writer = writer.run("tests/kv_connect/read.ts", &[&url]);
    assert!(through_server.contains("interop"), "{through_server}");
    assert_same("read back through the server", &by_writer, &through_server);
    let file = server.sqlite_path.to_string_lossy().into_owned();
    let local = Client::Kvrt.run("tests/kv_connect/read.ts", &[&file]);
    assert_same(
        "kvrt's engine on the server's file",
        &through_server,
        &local,
    );
}

#[test]
fn deno_writes_kvrt_reads() {
    let Some(deno) = deno_or_skip() else { return };
    interop(Client::Deno(&deno), Client::Kvrt);
}

#[test]
fn kvrt_writes_deno_reads() {
    let Some(deno) = deno_or_skip() else { return };
    interop(Client::Kvrt, Client::Deno(&deno));
}

/// A child process killed if the test fails before it exits.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server killed between writes: the next write fails with a clear
/// error within the operation timeout (30 s, plus slack), every
/// acknowledged write is in the file, and after a restart the same
/// database handle works again.
#[test]
fn server_killed_mid_run() {
    let mut server = DenoKv::start("faults");
    let marker = server.dir().join("restarted");
    let mut child = Client::Kvrt
        .command("tests/kv_connect/faults.ts")
        .arg(server.url())
        .arg(&marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kvrt starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut child = KillOnDrop(child);
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = |timeout: u64| {
        lines
            .recv_timeout(Duration::from_secs(timeout))
            .unwrap_or_else(|_| panic!("no output from kvrt within {timeout} s"))
    };
    let mut acked = Vec::new();
    while acked.len() < 20 {
        let line = next(60);
        let n: u32 = line
            .strip_prefix("acked ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        acked.push(n);
    }
    server.kill();
    let killed = Instant::now();
    let failure = loop {
        let line = next(90);
        match line.strip_prefix("acked ") {
            Some(n) => acked.push(n.parse().expect("a number")),
            None => break line,
        }
    };
    let waited = killed.elapsed();
    assert!(failure.starts_with("failed "), "{failure}");
    assert!(
        failure.contains("Error \"KV Connect request to")
            && failure.contains("did not complete within 30 seconds")
            && failure.contains("Connection refused"),
        "a clear error: {failure}"
    );
    assert!(waited < Duration::from_secs(45), "failed after {waited:?}");
    server.restart();
    std::fs::write(&marker, b"").expect("marker");
    assert_eq!(next(90), "after restart restart");
    assert!(child.0.wait().expect("kvrt exits").success());
    // Every acknowledged write is on disk (read by kvrt's local engine).
    let file = server.sqlite_path.to_string_lossy().into_owned();
    let dump = Client::Kvrt.run("tests/kv_connect/read.ts", &[&file]);
    for n in &acked {
        assert!(
            dump.contains(&format!("[ \"fault\", {n} ] {n} ")),
            "acknowledged write {n} is missing:\n{dump}"
        );
    }
}
