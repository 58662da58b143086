//! List selectors and cursors (KV_SPEC §2): which byte range a `list` reads
//! and how a cursor resumes it.

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;

/// The encoded keys of a `list` selector, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `{ prefix }`, optionally narrowed by `start` or `end`.
    Prefixed {
        /// The encoded prefix.
        prefix: Vec<u8>,
        /// Explicit inclusive start, inside the prefix's keyspace.
        start: Option<Vec<u8>>,
        /// Explicit exclusive end, inside the prefix's keyspace.
        end: Option<Vec<u8>>,
    },
    /// `{ start, end }`.
    Range {
        /// Inclusive start.
        start: Vec<u8>,
        /// Exclusive end.
        end: Vec<u8>,
    },
}

/// Why a selector or cursor was rejected; `Display` gives Deno's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// `{ prefix, start }` with a start outside the prefix.
    #[error("Start key is not in the keyspace defined by prefix")]
    StartKeyNotInKeyspace,
    /// `{ prefix, end }` with an end outside the prefix.
    #[error("End key is not in the keyspace defined by prefix")]
    EndKeyNotInKeyspace,
    /// `{ start, end }` with start > end.
    #[error("Start key is greater than end key")]
    StartKeyGreaterThanEndKey,
    /// A cursor that is not base64url.
    #[error("invalid cursor")]
    InvalidCursor,
    /// A cursor that points outside the selector's range.
    #[error("cursor out of bounds")]
    CursorOutOfBounds,
}

impl Selector {
    /// Builds a selector from the encoded keys JavaScript gave. The shim has
    /// already rejected the shapes without a prefix and without both bounds.
    pub fn new(
        prefix: Option<Vec<u8>>,
        start: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
    ) -> Result<Selector, SelectorError> {
        match (prefix, start, end) {
            (Some(prefix), start, end) => {
                let inside = |key: &Vec<u8>| key.len() > prefix.len() && key.starts_with(&prefix);
                if start.as_ref().is_some_and(|s| !inside(s)) {
                    return Err(SelectorError::StartKeyNotInKeyspace);
                }
                if end.as_ref().is_some_and(|e| !inside(e)) {
                    return Err(SelectorError::EndKeyNotInKeyspace);
                }
                Ok(Selector::Prefixed { prefix, start, end })
            }
            (None, Some(start), Some(end)) => {
                if start > end {
                    return Err(SelectorError::StartKeyGreaterThanEndKey);
                }
                Ok(Selector::Range { start, end })
            }
            (None, Some(start), None) => {
                let mut end = start.clone();
                end.push(0xff);
                Ok(Selector::Range { start, end })
            }
            (None, None, end) => {
                let end = end.unwrap_or_else(|| vec![0xff]);
                Ok(Selector::Range {
                    start: Vec::new(),
                    end,
                })
            }
        }
    }

    /// The bytes every key of the selector shares; cursors are relative to them.
    pub fn common_prefix(&self) -> &[u8] {
        match self {
            Selector::Prefixed { prefix, .. } => prefix,
            Selector::Range { start, end } => {
                let len = start.iter().zip(end).take_while(|(a, b)| a == b).count();
                &start[..len]
            }
        }
    }

    /// Inclusive first key of the whole selector.
    pub fn range_start(&self) -> Vec<u8> {
        match self {
            Selector::Prefixed {
                start: Some(start), ..
            } => start.clone(),
            Selector::Prefixed { prefix, .. } => [prefix.as_slice(), &[0x00]].concat(),
            Selector::Range { start, .. } => start.clone(),
        }
    }

    /// Exclusive end key of the whole selector.
    pub fn range_end(&self) -> Vec<u8> {
        match self {
            Selector::Prefixed { end: Some(end), .. } => end.clone(),
            Selector::Prefixed { prefix, .. } => [prefix.as_slice(), &[0xff]].concat(),
            Selector::Range { end, .. } => end.clone(),
        }
    }

    /// The `[start, end)` byte range still to read, resuming after `cursor`
    /// when given (forward: keys after it; reverse: keys before it).
    pub fn resolve(
        &self,
        cursor: Option<&str>,
        reverse: bool,
    ) -> Result<(Vec<u8>, Vec<u8>), SelectorError> {
        let Some(cursor) = cursor else {
            return Ok((self.range_start(), self.range_end()));
        };
        let cursor = URL_SAFE
            .decode(cursor)
            .map_err(|_| SelectorError::InvalidCursor)?;
        let common = self.common_prefix();
        let (first, last) = if reverse {
            (self.range_start(), [common, &cursor].concat())
        } else {
            ([common, &cursor, &[0x00]].concat(), self.range_end())
        };
        let explicit_start = match self {
            Selector::Prefixed { start, .. } => start.as_deref(),
            Selector::Range { start, .. } => Some(start.as_slice()),
        };
        let explicit_end = match self {
            Selector::Prefixed { end, .. } => end.as_deref(),
            Selector::Range { end, .. } => Some(end.as_slice()),
        };
        if explicit_start.is_some_and(|s| first.as_slice() < s)
            || explicit_end.is_some_and(|e| last.as_slice() > e)
        {
            return Err(SelectorError::CursorOutOfBounds);
        }
        Ok((first, last))
    }

    /// The cursor that resumes a listing after `key` (a key of this selector).
    pub fn cursor_for(&self, key: &[u8]) -> String {
        let common = self.common_prefix();
        let rest = key.strip_prefix(common).unwrap_or(key);
        URL_SAFE.encode(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{encode_key, KeyPart};

    fn key(parts: &[&str]) -> Vec<u8> {
        let parts: Vec<KeyPart> = parts
            .iter()
            .map(|s| KeyPart::String(s.to_string()))
            .collect();
        encode_key(&parts).unwrap()
    }

    #[test]
    fn spec_cursor_examples() {
        let selector = Selector::new(Some(key(&["a"])), None, None).unwrap();
        assert_eq!(selector.cursor_for(&key(&["a", "b"])), "AmIA");
        assert_eq!(selector.cursor_for(&key(&["a", "d"])), "AmQA");
        let (start, end) = selector.resolve(Some("AmIA"), false).unwrap();
        assert_eq!(start, [key(&["a", "b"]), vec![0]].concat());
        assert_eq!(end, [key(&["a"]), vec![0xff]].concat());
        let (start, end) = selector.resolve(Some("AmQA"), true).unwrap();
        assert_eq!(start, [key(&["a"]), vec![0]].concat());
        assert_eq!(end, key(&["a", "d"]));
    }

    #[test]
    fn prefix_range_excludes_the_prefix_itself() {
        let selector = Selector::new(Some(key(&["a"])), None, None).unwrap();
        let (start, end) = selector.resolve(None, false).unwrap();
        assert!(key(&["a"]) < start);
        assert!(key(&["a", ""]) >= start && key(&["a", "zzz"]) < end);
    }

    #[test]
    fn selector_errors() {
        assert_eq!(
            Selector::new(Some(key(&["a"])), Some(key(&["b"])), None),
            Err(SelectorError::StartKeyNotInKeyspace)
        );
        assert_eq!(
            Selector::new(Some(key(&["a"])), None, Some(key(&["a"]))),
            Err(SelectorError::EndKeyNotInKeyspace)
        );
        assert_eq!(
            Selector::new(None, Some(key(&["b"])), Some(key(&["a"]))),
            Err(SelectorError::StartKeyGreaterThanEndKey)
        );
        let selector = Selector::new(None, Some(key(&["a"])), Some(key(&["c"]))).unwrap();
        assert_eq!(
            selector.resolve(Some("!!"), false),
            Err(SelectorError::InvalidCursor)
        );
        assert_eq!(selector.common_prefix(), &[0x02]);
        // A cursor pointing before the explicit start is out of bounds.
        assert_eq!(
            selector.resolve(Some(&URL_SAFE.encode([0x00])), false),
            Err(SelectorError::CursorOutOfBounds)
        );
    }
}
