//! An embedder's own backend (`KvConfig::builder().database_handler`): a
//! small ordered map behind `kv_ext::backend::KvBackend` serves `set`,
//! `get`, `list`, checks and deletes of a script, with the ops' limits still
//! applied before it is called.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use async_trait::async_trait;
use deno_error::JsErrorBox;
use kv_ext::backend::{
    AtomicWrite, Consistency, Entry, KvBackend, KvDatabaseHandler, KvValue, MutationKind,
    QueueMessageHandle, ReadRange, Versionstamp, WatchStream,
};

/// Entries by encoded key, with the version of the last commit.
#[derive(Default)]
struct MapBackend {
    entries: RefCell<BTreeMap<Vec<u8>, (KvValue, Versionstamp)>>,
    version: RefCell<i64>,
}

#[async_trait(?Send)]
impl KvBackend for MapBackend {
    async fn snapshot_read(
        &self,
        ranges: Vec<ReadRange>,
        _consistency: Consistency,
    ) -> Result<Vec<Vec<Entry>>, JsErrorBox> {
        let entries = self.entries.borrow();
        Ok(ranges
            .iter()
            .map(|range| {
                let found = entries.range(range.start.clone()..range.end.clone());
                let to_entry =
                    |(key, (value, versionstamp)): (&Vec<u8>, &(KvValue, Versionstamp))| Entry {
                        key: key.clone(),
                        value: value.clone(),
                        versionstamp: *versionstamp,
                    };
                if range.reverse {
                    found.rev().take(range.limit).map(to_entry).collect()
                } else {
                    found.take(range.limit).map(to_entry).collect()
                }
            })
            .collect())
    }

    async fn atomic_write(&self, write: AtomicWrite) -> Result<Option<Versionstamp>, JsErrorBox> {
        let mut entries = self.entries.borrow_mut();
        for check in &write.checks {
            if entries.get(&check.key).map(|(_, v)| *v) != check.versionstamp {
                return Ok(None);
            }
        }
        let mut version = self.version.borrow_mut();
        *version += 1;
        let versionstamp = Versionstamp::from_version(*version);
        for mutation in write.mutations {
            match mutation.kind {
                MutationKind::Set(value) => {
                    entries.insert(mutation.key, (value, versionstamp));
                }
                MutationKind::Delete => {
                    entries.remove(&mutation.key);
                }
                other => {
                    return Err(JsErrorBox::type_error(format!(
                        "'{}' is not supported here",
                        other.name()
                    )))
                }
            }
        }
        Ok(Some(versionstamp))
    }

    async fn dequeue_next_message(
        &self,
    ) -> Result<Option<Box<dyn QueueMessageHandle>>, JsErrorBox> {
        Ok(None)
    }

    fn watch(&self, _keys: Vec<Vec<u8>>) -> WatchStream {
        Box::pin(futures::stream::empty())
    }

    fn close(&self) {}
}

/// Opens a fresh map for every path.
struct MapHandler;

#[async_trait(?Send)]
impl KvDatabaseHandler for MapHandler {
    async fn open(&self, _path: Option<String>) -> Result<Rc<dyn KvBackend>, JsErrorBox> {
        Ok(Rc::new(MapBackend::default()))
    }
}

const SCRIPT: &str = r#"
const kv = await Deno.openKv("anything");
const out = [];
await kv.set(["a", 1], { n: 1 });
await kv.set(["a", 2], "two");
await kv.set(["b"], 3n);
const first = await kv.get(["a", 1]);
out.push(JSON.stringify(first.value));
const listed = [];
for await (const e of kv.list({ prefix: ["a"] }, { reverse: true })) listed.push(e.key[1]);
out.push(listed.join(","));
out.push(String((await kv.atomic().check(first).set(["a", 1], 0).commit()).ok));
out.push(String((await kv.atomic().check(first).set(["a", 1], 0).commit()).ok));
await kv.delete(["b"]);
out.push(String((await kv.get(["b"])).versionstamp));
try { await kv.set(["x".repeat(3000)], 1); } catch (e) { out.push(e.message); }
try { await kv.atomic().sum(["s"], 1n).commit(); } catch (e) { out.push(e.message); }
kv.close();
globalThis.report = out.join("|");
"#;

#[test]
fn an_embedder_backend_serves_a_script() {
    let config = kv_ext::KvConfig::builder()
        .database_handler(MapHandler)
        .build();
    let report = common::run_module(config, "custom_backend.mjs", SCRIPT.to_string(), "report");
    assert_eq!(
        report,
        "{\"n\":1}|2,1|true|false|null|Key too large for write (max 2048 bytes)|'sum' is not supported here"
    );
}
