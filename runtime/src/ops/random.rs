//! Cryptographically secure randomness for `crypto.getRandomValues`.

use deno_core::op2;
use deno_error::JsErrorBox;

/// Fills `buf` with random bytes from the operating system.
#[op2(fast)]
pub fn op_kvrt_random_fill(#[buffer] buf: &mut [u8]) -> Result<(), JsErrorBox> {
    getrandom::fill(buf).map_err(|err| JsErrorBox::generic(err.to_string()))
}
