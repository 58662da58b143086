//! The KV ops: thin translations between the JS shim and the engine.

pub mod open;
pub mod read;
pub mod write;
