//! The JSON columns of Deno's queue tables: `backoff_schedule` (e.g.
//! `[100,1000,5000,30000,60000]`) and `keys_if_undelivered` (encoded keys as
//! arrays of byte values, e.g. `[[2,97,0]]`), both stored as text.

use crate::error::EngineError;
use crate::limits::DEFAULT_BACKOFF_SCHEDULE;

/// The `backoff_schedule` text of an enqueue; `None` stores the default schedule.
pub(crate) fn backoff_to_json(schedule: Option<&[u32]>) -> String {
    let schedule = schedule.unwrap_or(&DEFAULT_BACKOFF_SCHEDULE);
    serde_json::to_string(schedule).unwrap_or_else(|_| "[]".to_string())
}

/// Parses a `backoff_schedule` column (`null` means no retries, as in Deno).
pub(crate) fn backoff_from_json(text: &str) -> Result<Vec<u64>, EngineError> {
    serde_json::from_str::<Option<Vec<u64>>>(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| EngineError::InvalidQueueMessage(format!("backoff_schedule: {e}")))
}

/// The `keys_if_undelivered` text of an enqueue.
pub(crate) fn keys_to_json(keys: &[Vec<u8>]) -> String {
    serde_json::to_string(keys).unwrap_or_else(|_| "[]".to_string())
}

/// Parses a `keys_if_undelivered` column (text, or a blob holding the text).
pub(crate) fn keys_from_json(raw: &[u8]) -> Result<Vec<Vec<u8>>, EngineError> {
    serde_json::from_slice::<Option<Vec<Vec<u8>>>>(raw)
        .map(Option::unwrap_or_default)
        .map_err(|e| EngineError::InvalidQueueMessage(format!("keys_if_undelivered: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deno_formats() {
        assert_eq!(backoff_to_json(None), "[100,1000,5000,30000,60000]");
        assert_eq!(backoff_to_json(Some(&[1, 2])), "[1,2]");
        assert_eq!(backoff_to_json(Some(&[])), "[]");
        assert_eq!(keys_to_json(&[vec![2, 97, 0]]), "[[2,97,0]]");
        assert_eq!(keys_to_json(&[]), "[]");
        assert_eq!(backoff_from_json("[1,2]").unwrap(), vec![1, 2]);
        assert_eq!(backoff_from_json("null").unwrap(), Vec::<u64>::new());
        assert_eq!(keys_from_json(b"[[2,97,0]]").unwrap(), vec![vec![2, 97, 0]]);
        assert!(backoff_from_json("[").is_err());
        assert!(keys_from_json(b"[[300]]").is_err());
    }
}
