//! Deno KV's limits (KV_SPEC §4), shared by the engine and the op layer.
//! The engine itself does not enforce them; the op layer does, with Deno's messages.

/// Largest encoded key accepted on write (`Key too large for write (max 2048 bytes)`).
pub const MAX_WRITE_KEY_SIZE_BYTES: usize = 2048;
/// Largest encoded key or range endpoint accepted on read (`Key too large for read (max 2049 bytes)`).
pub const MAX_READ_KEY_SIZE_BYTES: usize = MAX_WRITE_KEY_SIZE_BYTES + 1;
/// Largest serialized value; a KvU64 counts 8 (`Value too large (max 65536 bytes)`).
pub const MAX_VALUE_SIZE_BYTES: usize = 65536;
/// Largest enqueue payload (`enqueue payload too large (max 65536 bytes)`).
pub const MAX_QUEUE_PAYLOAD_SIZE_BYTES: usize = 65536;
/// Most ranges in one read, e.g. keys of `getMany` (`Too many ranges (max 10)`).
pub const MAX_READ_RANGES: usize = 10;
/// Most entries one read may return (`Too many entries (max 1000)`).
pub const MAX_READ_ENTRIES: usize = 1000;
/// Most checks in one atomic operation (`Too many checks (max 100)`).
pub const MAX_CHECKS: usize = 100;
/// Most mutations plus enqueues in one atomic operation (`Too many mutations (max 1000)`).
pub const MAX_MUTATIONS: usize = 1000;
/// Largest total payload of one atomic operation (`Total mutation size too large (max 819200 bytes)`).
pub const MAX_TOTAL_MUTATION_SIZE_BYTES: usize = 800 * 1024;
/// Largest total key size of one atomic operation (`Total key size too large (max 81920 bytes)`).
pub const MAX_TOTAL_KEY_SIZE_BYTES: usize = 80 * 1024;
/// Most keys one `watch` may observe (`Too many keys (max 10)`).
pub const MAX_WATCHED_KEYS: usize = 10;
/// Longest enqueue delay: 30 days in milliseconds (`Delay cannot be greater than 30 days: received X`).
pub const MAX_QUEUE_DELAY_MS: u64 = 30 * 24 * 60 * 60 * 1000;
/// Most intervals in a backoff schedule (`Invalid backoffSchedule, max 5 intervals allowed`).
pub const MAX_QUEUE_BACKOFF_INTERVALS: usize = 5;
/// Longest single backoff interval in milliseconds (`Invalid backoffSchedule, interval at index i is invalid`).
pub const MAX_QUEUE_BACKOFF_MS: u32 = 3_600_000;
/// Backoff schedule used when an enqueue gives none.
pub const DEFAULT_BACKOFF_SCHEDULE: [u32; 5] = [100, 1000, 5000, 30000, 60000];
/// `list` batch size when neither `batchSize` nor `limit` is given, and the
/// clamp applied to the default (`limit ?? 100`, at most 500 when `batchSize` is not given).
pub const DEFAULT_LIST_BATCH_SIZE: usize = 100;
/// Upper clamp of the default `list` batch size.
pub const MAX_DEFAULT_LIST_BATCH_SIZE: usize = 500;
/// Largest explicit `list` batch size (larger ones fail with `Too many entries (max 1000)`).
pub const MAX_LIST_BATCH_SIZE: usize = MAX_READ_ENTRIES;
