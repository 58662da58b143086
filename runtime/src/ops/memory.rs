//! node:process's `memoryUsage()`: the resident set size and the engine's
//! heap statistics, as Deno reports them.

use deno_core::{op2, v8};

/// The process's resident set size in bytes (`VmRSS` of /proc/self/status;
/// 0 where that is not available).
fn rss() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// `[rss, heapTotal, heapUsed, external]`.
#[op2]
#[serde]
pub fn op_node_memory_usage(scope: &mut v8::PinScope<'_, '_>) -> (f64, f64, f64, f64) {
    let stats = scope.get_heap_statistics();
    (
        rss() as f64,
        stats.total_heap_size() as f64,
        stats.used_heap_size() as f64,
        stats.external_memory() as f64,
    )
}

/// `process.memoryUsage.rss()`.
#[op2(fast)]
#[number]
pub fn op_node_rss() -> u64 {
    rss()
}
