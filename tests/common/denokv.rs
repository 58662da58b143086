//! The real `denokv` server (KV Connect over SQLite) for the remote tests:
//! installed once into a cache directory outside the clone, started per test
//! on 127.0.0.1 with a temporary SQLite file and an access token.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The server version the suite is pinned to (the line of `denokv_remote`).
const DENOKV_VERSION: &str = "0.14.0";

/// The access token every test server accepts (denokv wants 12+ chars).
pub const TOKEN: &str = "kvrt-test-token-0123456789";

/// Where tools are cached between runs: `KVRT_TOOLS_DIR`, else
/// `~/.cache/kvrt-tools`.
fn tools_dir() -> PathBuf {
    std::env::var_os("KVRT_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kvrt-tools")))
        .unwrap_or_else(|| std::env::temp_dir().join("kvrt-tools"))
}

/// The `denokv` binary, installed with `cargo install --locked` when
/// missing (`scripts/setup.sh` normally did it already).
pub fn denokv_bin() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let root = tools_dir();
    let bin = root.join("bin/denokv");
    if bin.is_file() {
        return bin;
    }
    eprintln!("installing denokv {DENOKV_VERSION} into {}", root.display());
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "install",
            "--locked",
            "denokv",
            "--version",
            DENOKV_VERSION,
            "--root",
        ])
        .arg(&root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo install denokv failed");
    bin
}

/// A running `denokv serve`; killed when dropped.
pub struct DenoKv {
    child: Option<Child>,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its SQLite file.
    pub sqlite_path: PathBuf,
    dir: PathBuf,
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl DenoKv {
    /// Starts a server on a fresh database in a new temporary directory.
    pub fn start(name: &str) -> DenoKv {
        let dir = std::env::temp_dir().join(format!(
            "kvrt-denokv-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let sqlite_path = dir.join("server.sqlite3");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("address");
        let mut server = DenoKv {
            child: None,
            addr,
            sqlite_path,
            dir,
        };
        server.restart();
        server
    }

    /// The URL clients open.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kills the server (as a crash would: no shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same address and file, and waits
    /// until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let log = std::fs::File::create(self.dir.join("server.log")).expect("log file");
        let child = Command::new(denokv_bin())
            .arg("--sqlite-path")
            .arg(&self.sqlite_path)
            .args(["serve", "--access-token", TOKEN, "--addr"])
            .arg(self.addr.to_string())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("denokv starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_err() {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("denokv exited ({status}): {}", self.log());
                }
            }
            assert!(
                Instant::now() < deadline,
                "denokv did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The temporary directory of this server (for the test's own files).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for DenoKv {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
