#!/usr/bin/env python3
"""Benchmark kvrt against real Deno on the Deno KV workloads of bench/workload.ts.

    python3 bench/run.py [--quick] [--rows a,b] [--runs 5] [--ms 1500] [--entries N] [--kvrt PATH]

Each row runs as a fresh process of each runtime, kvrt and Deno alternately,
`--runs` times each; the table shows medians. The device rows come first: the
driver itself times a 4 KiB write + fsync loop on the temp directory's file
system (in place, and appending so the file grows), the ceiling of any
durable write one at a time; `set/file` is judged against the in-place rate. Each process's wall time and peak
RSS (ru_maxrss from os.wait4) are recorded. The table goes to stdout and, as
Markdown, to bench/results.md (bench/results-quick.md with --quick); every raw
sample goes to the matching .json file.

Rows on the "remote" database run both runtimes as KV Connect clients of one
real denokv server per row (127.0.0.1, a temporary SQLite file), installed by
`scripts/setup.sh --with-deno` into ${KVRT_TOOLS_DIR:-~/.cache/kvrt-tools}.

Python 3.11 standard library only; builds nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORKLOAD = "bench/workload.ts"  # relative to ROOT, the children's cwd
HELLO = "bench/hello.js"  # the one-line script of the `hello` row
KVRT = ROOT / "target" / "release" / "kvrt"  # --kvrt overrides
DENO = ROOT / "node_modules" / "@deno" / "linux-x64-glibc" / "deno"
CACHE = Path(tempfile.gettempdir()) / "kvrt-bench-cache"
TOOLS = Path(os.environ.get("KVRT_TOOLS_DIR") or Path.home() / ".cache" / "kvrt-tools")
DENOKV = TOOLS / "bin" / "denokv"
DENOKV_TOKEN = "kvrt-bench-token-0123456789"
# The KV Connect server of the current remote row (see DenoKv).
REMOTE_ENV: dict[str, str] = {}


@dataclass
class Row:
    name: str  # workload row, or a device row (`fsync_inplace`, `fsync_append`)
    db: str  # "file" | "memory" | "-" (no database)
    label: str
    latency: bool  # lower is better
    min_ratio: float | None = 1.5  # against Deno
    max_rss_mib: float | None = None  # kvrt's peak RSS limit
    rss_vs_deno: bool = False  # kvrt's peak RSS must be <= Deno's
    min_device: float | None = None  # kvrt's value >= this fraction of the in-place fsync rate
    timeout: float = 300.0

    @property
    def id(self) -> str:
        return f"{self.name}/{self.db}"

    @property
    def device(self) -> bool:
        return self.name in DEVICE_ROWS

    def target(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f">= {self.min_ratio:g}x")
        if self.min_device is not None:
            parts.append(f">= {self.min_device:g} of in-place fsync")
        if self.max_rss_mib is not None:
            parts.append(f"kvrt RSS < {self.max_rss_mib:g} MiB")
        if self.rss_vs_deno:
            parts.append("kvrt RSS <= Deno's")
        return ", ".join(parts) or "-"


# Device rows: the driver's own 4 KiB write + fsync loop (see `device_rate`).
DEVICE_ROWS = {
    "fsync_inplace": "device: 4 KiB write + fsync, in place",
    "fsync_append": "device: 4 KiB write + fsync, appending",
    "fdatasync_inplace": "device: 4 KiB write + fdatasync, in place",
}


def build_rows(entries: int) -> list[Row]:
    rows = [Row(name, "-", label, False, min_ratio=None) for name, label in DEVICE_ROWS.items()]
    base = [
        ("set", "set, sequential (small object)", False),
        ("set_concurrent", "set, 1000 concurrent (Promise.all)", False),
        ("set_concurrent_5000", "set, 5000 concurrent (Promise.all)", False),
        ("get", "get, sequential (existing keys)", False),
        ("get_many", "getMany of 10 keys", False),
        ("list_full", "list, full (10,000 entries)", False),
        ("list_page", "list, limit 10 (one page)", True),
        ("atomic_cas", "atomic check-and-set (get + check + set)", False),
        ("atomic_sum", "atomic sum", False),
        ("delete", "delete, sequential", False),
        ("queue", "enqueue -> handler round trip", True),
        ("watch", "watch notification (set -> stream yields)", True),
        ("startup", "process start + open + get + exit", True),
    ]
    # Issue 13's goals; the other rows keep the default 1.5x.
    goals = {
        "set/file": {"min_ratio": None, "min_device": 0.85},
        "set/memory": {"min_ratio": 3},
        "set_concurrent/file": {"min_ratio": 10},
        "set_concurrent/memory": {"min_ratio": 3},
        "set_concurrent_5000/file": {"min_ratio": 10},
        "set_concurrent_5000/memory": {"min_ratio": 3},
        "get/file": {"min_ratio": 5},
        "get/memory": {"min_ratio": 5},
        "list_full/file": {"min_ratio": 2},
        "list_full/memory": {"min_ratio": 2},
        "startup/file": {"min_ratio": 2},
        "startup/memory": {"min_ratio": 2},
    }
    rows.append(Row("hello", "-", "process start + console.log + exit (one-line script)", True,
                    min_ratio=2))
    for name, label, latency in base:
        for db in ("file", "memory"):
            row = Row(name, db, label, latency)
            for attr, goal in goals.get(row.id, {}).items():
                setattr(row, attr, goal)
            rows.append(row)
    rows.append(Row("oversized", "memory", "set of a 1e7-element array (rejected): peak RSS", True,
                    min_ratio=None, rss_vs_deno=True))
    rows.append(
        Row("list_1m", "file", f"list of {entries:,} entries, streaming", False,
            min_ratio=2, max_rss_mib=100, timeout=900)
    )
    for name, label, latency in base:
        if name in ("set", "get", "list_page", "atomic_cas"):
            rows.append(Row(name, "remote", label, latency, min_ratio=1.0))
    return rows


class DenoKv:
    """A denokv server on 127.0.0.1 with a temporary database, for one row.

    The rows compare the two clients, so the server's database lives in
    memory-backed /dev/shm where there is one: on disk, every write row
    measures the server's fsync (seen here: 157 to 522 sets/s between runs of
    the same client) and not the client."""

    def __init__(self) -> None:
        shm = Path("/dev/shm")
        self.dir = Path(tempfile.mkdtemp(prefix="kvrt-bench-denokv-",
                                         dir=shm if shm.is_dir() else None))
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(self.dir / "server.log", "wb")
        self.proc = subprocess.Popen(
            [str(DENOKV), "--sqlite-path", str(self.dir / "db.sqlite3"), "serve",
             "--access-token", DENOKV_TOKEN, "--addr", f"127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"denokv did not start: {(self.dir / 'server.log').read_text()}")
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Sample:
    value: float | None
    unit: str | None
    wall_ms: float
    rss_kib: int
    error: str | None = None
    raw: dict = field(default_factory=dict)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DENO_NO_UPDATE_CHECK"] = "1"
    env["NO_COLOR"] = "1"
    # Deno's KV overrides would change which database a row opens.
    for var in ("DENO_KV_DB_MODE", "DENO_KV_PATH_PREFIX", "DENO_KV_DEFAULT_PATH"):
        env.pop(var, None)
    env.update(REMOTE_ENV)
    return env


def command(runtime: str, args: list[str], script: str = WORKLOAD) -> list[str]:
    if runtime == "kvrt":
        return [str(KVRT), "run", "-A", script, *args]
    return [str(DENO), "run", "--unstable-kv", "-A", script, *args]


def device_rate(kind: str, ms: int, warmup_ms: int) -> Sample:
    """Times a loop of 4 KiB writes, each followed by fsync, in a new file of
    the temp directory (where the file rows' databases live): `fsync_inplace`
    overwrites one 4 KiB block of a 1 MiB file written and synced first;
    `fsync_append` appends to an empty file, so every fsync also flushes the
    grown size; `fdatasync_inplace` overwrites in place like the first but
    syncs with fdatasync (no timestamp flush: how kvrt's SQLite syncs its
    WAL). Value: writes/s."""
    block = os.urandom(4096)
    work = Path(tempfile.mkdtemp(prefix="kvrt-bench-device-"))
    fd = os.open(work / "device", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        in_place = kind.endswith("_inplace")
        sync = os.fdatasync if kind.startswith("fdatasync") else os.fsync
        if in_place:
            os.pwrite(fd, block * 256, 0)
            os.fsync(fd)

        def loop(budget_ms: int, offset: int) -> tuple[int, float]:
            n = 0
            start = time.perf_counter()
            deadline = start + budget_ms / 1000
            now = start
            while now < deadline:
                os.pwrite(fd, block, 0 if in_place else offset + n * 4096)
                sync(fd)
                n += 1
                now = time.perf_counter()
            return n, now - start

        warm, _ = loop(warmup_ms, 0)
        n, seconds = loop(ms, warm * 4096)
    finally:
        os.close(fd)
        shutil.rmtree(work, ignore_errors=True)
    return Sample(n / seconds, "writes/s", seconds * 1000, 0, raw={"ops": n})


def run_process(argv: list[str], timeout: float) -> tuple[int, float, int, str, str]:
    """Runs argv in ROOT; returns (exit code, wall ms, peak RSS KiB, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        lock = threading.Lock()
        state = {"exited": False, "killed": False}
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)

        def kill() -> None:
            with lock:
                # Until we reap it the pid cannot be reused, so this kills our child only.
                if not state["exited"]:
                    state["killed"] = True
                    os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        # Wait for the exit without reaping, so the timer never races a reused pid.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        wall_ms = (time.perf_counter() - start) * 1000
        with lock:
            state["exited"] = True
        timer.cancel()
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # reaped here; keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        if state["killed"]:
            stderr += f"\n(killed after the {timeout:g} s timeout)"
        return code, wall_ms, usage.ru_maxrss, stdout, stderr


def run_row(row: Row, runtime: str, args: list[str]) -> Sample:
    if row.name == "hello":
        argv = command(runtime, [], HELLO)
    else:
        argv = command(runtime, args)
    code, wall_ms, rss, stdout, stderr = run_process(argv, row.timeout)
    if row.name == "hello":
        # The driver times the whole process; the script prints one line.
        if code != 0 or stdout.strip() != "hello":
            tail = "\n".join((stderr.strip() or stdout.strip()).splitlines()[-8:])
            return Sample(None, None, wall_ms, rss, f"exit {code}: {tail}")
        return Sample(wall_ms, "ms (wall)", wall_ms, rss)
    result = None
    for line in reversed(stdout.strip().splitlines()):
        try:
            result = json.loads(line)
            break
        except json.JSONDecodeError:
            continue
    if code != 0 or not isinstance(result, dict):
        tail = "\n".join((stderr.strip() or stdout.strip()).splitlines()[-8:])
        return Sample(None, None, wall_ms, rss, f"exit {code}: {tail}")
    value = result.get("value")
    if row.name == "startup":
        value = wall_ms  # the whole process, as the driver sees it
    return Sample(value, result.get("unit"), wall_ms, rss, raw=result)


def populated_file(entries: int) -> Path:
    """A database with `entries` entries, written once by Deno and cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"list-{entries}.sqlite3"
    if path.exists():
        return path
    tmp_dir = Path(tempfile.mkdtemp(prefix="populate-", dir=CACHE))
    tmp = tmp_dir / "db.sqlite3"
    print(f"populating {entries:,} entries into {path} (once; cached) ...", file=sys.stderr, flush=True)
    code, wall_ms, _, stdout, stderr = run_process(
        command("deno", ["populate", "file", "--path", str(tmp), "--entries", str(entries)]), 3600)
    if code != 0:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        sys.exit(f"populate failed (exit {code}):\n{stderr}{stdout}")
    for suffix in ("-wal", "-shm"):
        side = Path(str(tmp) + suffix)
        if side.exists():
            side.rename(str(path) + suffix)
    tmp.rename(path)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    print(f"  populated in {wall_ms / 1000:.1f} s", file=sys.stderr, flush=True)
    return path


def fresh_copy(source: Path) -> tuple[Path, Path]:
    work = Path(tempfile.mkdtemp(prefix="kvrt-bench-list-"))
    dest = work / "db.sqlite3"
    shutil.copyfile(source, dest)
    for suffix in ("-wal", "-shm"):
        side = Path(str(source) + suffix)
        if side.exists():
            shutil.copyfile(side, str(dest) + suffix)
    return work, dest


def fmt_value(value: float | None) -> str:
    if value is None:
        return "error"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def shell(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_name() -> str:
    """Which kvrt build is measured, as the header names it."""
    try:
        shown = KVRT.relative_to(ROOT)
    except ValueError:
        shown = KVRT
    kind = {"release": "release build", "debug": "DEBUG build"}.get(KVRT.parent.name, "build")
    return f"{kind} `{shown}`"


def machine_header(runs: int, quick: bool, ms: int) -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = shell(["git", "rev-parse", "--short", "HEAD"])
    if shell(["git", "status", "--porcelain", "--untracked-files=no"]) not in ("", "unknown"):
        commit += " + uncommitted changes"
    deno_version = shell([str(DENO), "--version"]).splitlines()[0]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Machine: {os.cpu_count()} CPUs (`nproc` {shell(['nproc'])}), {cpu}, "
        f"kernel {platform.system()} {platform.release()}; load average at start {load}",
        f"- kvrt: {build_name()} at commit {commit} (QuickJS engine)",
        f"- Deno: {deno_version} (`deno run --unstable-kv -A`)",
        f"- Method: `python3 bench/run.py{' --quick' if quick else ''}`; each row is a fresh process per "
        f"runtime, kvrt and Deno alternately, {runs} run(s) each, medians shown; measured loops are "
        f"time-boxed to {ms} ms after an untimed warm-up. Peak RSS is the process's ru_maxrss.",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 run, short loops, small sizes (tests the driver)")
    parser.add_argument("--rows", help="comma-separated rows: a name (both databases) or name/db, e.g. get,set/file")
    parser.add_argument("--runs", type=int, help="processes per runtime per row (default 5; 1 with --quick)")
    parser.add_argument("--ms", type=int, help="time box of each measured loop in ms (default 1500; 150 with --quick)")
    parser.add_argument("--entries", type=int, help="entries of the scale row (default 1,000,000; 20,000 with --quick)")
    parser.add_argument("--kvrt", help="kvrt binary to measure (default target/release/kvrt)")
    parser.add_argument("--out", help="Markdown output (default bench/results.md; bench/results-quick.md with --quick)")
    opts = parser.parse_args()
    global KVRT
    if opts.kvrt:
        KVRT = Path(opts.kvrt).resolve()

    runs = opts.runs if opts.runs is not None else (1 if opts.quick else 5)
    ms = opts.ms if opts.ms is not None else (150 if opts.quick else 1500)
    warmup_ms = 30 if opts.quick else 200
    entries = opts.entries if opts.entries is not None else (20_000 if opts.quick else 1_000_000)
    out_md = Path(opts.out) if opts.out else BENCH / ("results-quick.md" if opts.quick else "results.md")
    if runs < 1:
        parser.error("--runs must be at least 1")

    if not KVRT.is_file():
        print(f"kvrt binary not found at {KVRT}; build it first:\n"
              "  cargo build --release -p kvrt", file=sys.stderr)
        return 1
    if not DENO.is_file():
        print(f"Deno not found at {DENO.relative_to(ROOT)}; install it first:\n"
              "  ./scripts/setup.sh --with-deno", file=sys.stderr)
        return 1

    rows = build_rows(entries)
    if opts.rows:
        wanted = [w.strip() for w in opts.rows.split(",") if w.strip()]
        known = {r.id for r in rows} | {r.name for r in rows}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            parser.error(f"unknown rows {unknown}; rows: {', '.join(r.id for r in rows)}")
        rows = [r for r in rows if r.id in wanted or r.name in wanted]

    header = machine_header(runs, opts.quick, ms)
    for line in header:
        print(line, file=sys.stderr)

    # Untimed first start of each runtime (Deno's transpile cache, page cache).
    for runtime in ("kvrt", "deno"):
        run_process(command(runtime, ["startup", "memory"]), 120)

    common = ["--ms", str(ms), "--warmup-ms", str(warmup_ms)]
    results: list[dict] = []
    failures = 0
    device: dict[str, float | None] = {}
    for row in rows:
        if row.device:
            measured = [device_rate(row.name, ms, warmup_ms) for _ in range(runs)]
            for i, sample in enumerate(measured):
                print(f"  {row.id:<22} run {i + 1}/{runs} {'os':<4} {fmt_value(sample.value)} writes/s",
                      file=sys.stderr, flush=True)
            results.append(summarize(row, {"kvrt": measured, "deno": []}, device))
            device[row.name] = results[-1]["kvrt"]
            continue
        args = [row.name, row.db, *common]
        source = None
        if row.name == "list_1m":
            source = populated_file(entries)
        samples: dict[str, list[Sample]] = {"kvrt": [], "deno": []}
        server = None
        if row.db == "remote":
            if not DENOKV.is_file():
                print(f"denokv not found at {DENOKV}; install it with ./scripts/setup.sh --with-deno",
                      file=sys.stderr)
                return 1
            server = DenoKv()
            REMOTE_ENV.update(KVRT_BENCH_KV_URL=server.url, DENO_KV_ACCESS_TOKEN=DENOKV_TOKEN)
        for i in range(runs):
            for runtime in ("kvrt", "deno"):
                work = None
                run_args = args
                if source is not None:
                    work, copy = fresh_copy(source)
                    run_args = [row.name, row.db, "--path", str(copy), "--entries", str(entries)]
                try:
                    sample = run_row(row, runtime, run_args)
                finally:
                    if work is not None:
                        shutil.rmtree(work, ignore_errors=True)
                samples[runtime].append(sample)
                shown = (f"{fmt_value(sample.value)} {sample.unit}" if sample.error is None
                         else "ERROR")
                print(f"  {row.id:<22} run {i + 1}/{runs} {runtime:<4} {shown:>20}  "
                      f"wall {sample.wall_ms / 1000:6.2f} s  rss {sample.rss_kib / 1024:6.1f} MiB",
                      file=sys.stderr, flush=True)
                if sample.error:
                    failures += 1
                    print("    " + sample.error.replace("\n", "\n    "), file=sys.stderr, flush=True)
        results.append(summarize(row, samples, device))

    table = render(results)
    print()
    print(table_text(table))
    write_outputs(out_md, header, table, results, opts.quick)
    print(f"\nwrote {out_md.relative_to(ROOT) if out_md.is_relative_to(ROOT) else out_md}", file=sys.stderr)
    if failures:
        print(f"{failures} process(es) failed; see above", file=sys.stderr)
    return 1 if failures else 0


def summarize(row: Row, samples: dict[str, list[Sample]], device: dict[str, float | None]) -> dict:
    def ok(rt: str) -> list[Sample]:
        return [s for s in samples[rt] if s.error is None]

    kvrt_v = median([s.value for s in ok("kvrt")])
    deno_v = median([s.value for s in ok("deno")])
    unit = next((s.unit for s in ok("kvrt") + ok("deno")), None)
    if row.name in ("startup", "hello"):
        unit = "ms (wall)"
    ratio = None
    if kvrt_v and deno_v:
        ratio = deno_v / kvrt_v if row.latency else kvrt_v / deno_v
    kvrt_rss = None if row.device else median([s.rss_kib / 1024 for s in samples["kvrt"]])
    deno_rss = None if row.device else median([s.rss_kib / 1024 for s in samples["deno"]])
    in_place = device.get("fsync_inplace")
    of_device = kvrt_v / in_place if row.min_device is not None and kvrt_v and in_place else None
    met: bool | None = None if row.device else True
    if row.min_ratio is not None:
        met = met and ratio is not None and ratio >= row.min_ratio
    if row.min_device is not None:
        met = met and of_device is not None and of_device >= row.min_device
    if row.max_rss_mib is not None:
        met = met and kvrt_rss is not None and kvrt_rss < row.max_rss_mib
    if row.rss_vs_deno:
        met = met and kvrt_rss is not None and deno_rss is not None and kvrt_rss <= deno_rss
    return {
        "row": row.id, "label": row.label, "db": row.db, "latency": row.latency, "unit": unit,
        "kvrt": kvrt_v, "deno": deno_v, "ratio": ratio, "kvrt_rss_mib": kvrt_rss, "deno_rss_mib": deno_rss,
        "of_device": of_device,
        "target": row.target(), "met": met,
        "errors": {rt: [s.error for s in samples[rt] if s.error] for rt in samples},
        "samples": {rt: [{"value": s.value, "wall_ms": s.wall_ms, "rss_kib": s.rss_kib, "raw": s.raw}
                         for s in samples[rt]] for rt in samples},
    }


COLUMNS = ["Operation", "DB", "kvrt", "Deno", "Unit", "Ratio", "of device", "kvrt RSS MiB", "Deno RSS MiB",
           "Target", "Met"]
NUMERIC = {2, 3, 5, 6, 7, 8}


def render(results: list[dict]) -> list[list[str]]:
    table = []
    for r in results:
        unit = r["unit"] or "?"
        if r["latency"]:
            unit += ", lower is better"
        table.append([
            r["label"], r["db"], fmt_value(r["kvrt"]),
            "-" if not r["samples"]["deno"] else fmt_value(r["deno"]), unit,
            fmt_ratio(r["ratio"]),
            "-" if r.get("of_device") is None else f"{r['of_device']:.2f}",
            "-" if r["kvrt_rss_mib"] is None else f"{r['kvrt_rss_mib']:.1f}",
            "-" if r["deno_rss_mib"] is None else f"{r['deno_rss_mib']:.1f}",
            r["target"], "-" if r["met"] is None else "yes" if r["met"] else "no",
        ])
    return table


RATIO_NOTE = ("Ratio: kvrt/Deno for throughput, Deno/kvrt for latency, "
              "so > 1 means kvrt is better in every row. Device rows: the driver's own 4 KiB "
              "write + fsync loop (the kvrt column holds its rate); \"of device\": kvrt's rate "
              "as a fraction of the in-place one.")


def table_text(table: list[list[str]]) -> str:
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in table)) for i in range(len(COLUMNS))]
    numeric = NUMERIC

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(widths[i]) if i in numeric else c.ljust(widths[i])
                         for i, c in enumerate(cells)).rstrip()

    out = [RATIO_NOTE, line(COLUMNS), line(["-" * w for w in widths])]
    out += [line(r) for r in table]
    return "\n".join(out)


def markdown_table(table: list[list[str]]) -> list[str]:
    """The table as Markdown lines (also used by bench/readme_table.py)."""
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join("---:" if i in NUMERIC else "---" for i in range(len(COLUMNS))) + "|"]
    for r in table:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return lines


def write_outputs(out_md: Path, header: list[str], table: list[list[str]], results: list[dict], quick: bool) -> None:
    md = ["# kvrt vs Deno: Deno KV benchmark", ""]
    if quick:
        md += ["**Quick run (`--quick`): 1 run, short loops and small sizes; it tests the driver, "
               "the figures mean little.**", ""]
    md += header + ["", RATIO_NOTE, ""]
    md += markdown_table(table)
    errors = [(r["row"], rt, e) for r in results for rt, es in r["errors"].items() for e in es]
    if errors:
        md += ["", "Failed processes:", ""]
        md += [f"- {row} ({rt}): `{e.splitlines()[0] if e else ''}`" for row, rt, e in errors]
    out_md.write_text("\n".join(md) + "\n")
    out_md.with_suffix(".json").write_text(json.dumps(
        {"header": header, "quick": quick, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
