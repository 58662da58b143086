//! The KV ops: thin translations between the JS shim and the engine.

pub mod open;
pub mod queue;
pub mod read;
pub mod value;
pub mod watch;
pub mod write;
