#!/usr/bin/env python3
"""Compare two kvrt builds, and Deno, on the rows of bench/run.py, in one run.

    python3 bench/compare.py --base OLD_KVRT [--kvrt NEW_KVRT] [--rows get,list_full] [--runs 5]

For each run of each row the three processes start one after the other
(new kvrt, base kvrt, Deno), so a load that comes and goes on a shared
machine touches all three alike. Prints medians, the new/base ratio and each
build's ratio against Deno (> 1: the first is better), and writes every sample
to bench/compare.json (or --out). A build whose flags differ (older than
the permission model, it refuses `-A`) is passed as a small wrapper script
that drops them.

Python 3.11 standard library only; uses bench/run.py's row definitions and
process runner, so the rows are measured exactly as there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
assert spec is not None and spec.loader is not None
run = importlib.util.module_from_spec(spec)
sys.modules["bench_run"] = run  # (its dataclasses look their module up)
spec.loader.exec_module(run)


def better(a: float | None, b: float | None, latency: bool) -> float | None:
    """How many times better `a` is than `b`."""
    if not a or not b:
        return None
    return b / a if latency else a / b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the kvrt build to compare against")
    parser.add_argument("--kvrt", help="the kvrt build measured (default target/release/kvrt)")
    parser.add_argument("--rows", default="get,get_many,list_full,list_page,list_1m")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ms", type=int, default=1500)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(BENCH / "compare.json"))
    opts = parser.parse_args()
    builds = {
        "new": Path(opts.kvrt).resolve() if opts.kvrt else run.KVRT,
        "base": Path(opts.base).resolve(),
    }
    for path in builds.values():
        if not path.is_file():
            sys.exit(f"no kvrt binary at {path}")
    wanted = {w.strip() for w in opts.rows.split(",") if w.strip()}
    rows = [r for r in run.build_rows(opts.entries)
            if not r.device and r.db != "remote" and (r.id in wanted or r.name in wanted)]
    for line in run.machine_header(opts.runs, False, opts.ms):
        print(line, file=sys.stderr)
    print(f"- new: {builds['new']}\n- base: {builds['base']}", file=sys.stderr)

    common = ["--ms", str(opts.ms), "--warmup-ms", "200"]
    report = []
    for row in rows:
        source = run.populated_file(opts.entries) if row.name == "list_1m" else None
        values: dict[str, list[float]] = {"new": [], "base": [], "deno": []}
        for i in range(opts.runs):
            for who in ("new", "base", "deno"):
                args = [row.name, row.db, *common]
                work = None
                if source is not None:
                    work, copy = run.fresh_copy(source)
                    args = [row.name, row.db, "--path", str(copy), "--entries", str(opts.entries)]
                if who != "deno":
                    run.KVRT = builds[who]
                try:
                    sample = run.run_row(row, "deno" if who == "deno" else "kvrt", args)
                finally:
                    if work is not None:
                        run.shutil.rmtree(work, ignore_errors=True)
                if sample.error:
                    sys.exit(f"{row.id} {who}: {sample.error}")
                values[who].append(sample.value)
                print(f"  {row.id:<22} run {i + 1}/{opts.runs} {who:<4} {run.fmt_value(sample.value)} "
                      f"{sample.unit}", file=sys.stderr, flush=True)
        med = {who: run.median(v) for who, v in values.items()}
        report.append({"row": row.id, "label": row.label, "latency": row.latency,
                       "samples": values, "median": med})

    print("\n| Operation | DB | new | base | Deno | new/base | new vs Deno | base vs Deno |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in report:
        med, lat = r["median"], r["latency"]
        print(f"| {r['label']} | {r['row'].split('/')[1]} | {run.fmt_value(med['new'])} | "
              f"{run.fmt_value(med['base'])} | {run.fmt_value(med['deno'])} | "
              f"{run.fmt_ratio(better(med['new'], med['base'], lat))} | "
              f"{run.fmt_ratio(better(med['new'], med['deno'], lat))} | "
              f"{run.fmt_ratio(better(med['base'], med['deno'], lat))} |")
    Path(opts.out).write_text(json.dumps({"builds": {k: str(v) for k, v in builds.items()},
                                          "rows": report}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
