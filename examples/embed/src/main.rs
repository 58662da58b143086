//! A runtime with only deno_core, deno_webidl, deno_web and kv_ext, whose
//! scripts may open databases in `./data` only, under smaller limits.
//! Usage: `kv-embed <script.js>`.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use deno_core::{FsModuleLoader, JsRuntime, RuntimeOptions};
use deno_error::JsErrorBox;
use kv_ext::{KvConfig, KvLimits, KvPermissions, OpenTarget};

/// Allows in-memory databases, the embedder's default database and files
/// inside one directory.
struct ConfinedTo(PathBuf);

impl KvPermissions for ConfinedTo {
    fn check_open(&self, target: OpenTarget<'_>) -> Result<(), JsErrorBox> {
        let path = match target {
            OpenTarget::Memory | OpenTarget::Default(_) => return Ok(()),
            OpenTarget::File(path) => path,
            OpenTarget::Remote(url) => return Err(denied(url)),
        };
        // The directory the file would be in, with `..` and symlinks resolved.
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        match dir.unwrap_or(Path::new(".")).canonicalize() {
            Ok(dir) if dir.starts_with(&self.0) => Ok(()),
            _ => Err(denied(&path.display().to_string())),
        }
    }
}

fn denied(what: &str) -> JsErrorBox {
    JsErrorBox::new(
        "NotCapable",
        format!("{what} is outside this runtime's data directory"),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let script = std::env::args()
        .nth(1)
        .ok_or("usage: kv-embed <script.js>")?;
    std::fs::create_dir_all("data")?;
    let config = KvConfig::builder()
        .permissions(ConfinedTo(Path::new("data").canonicalize()?))
        .limits(KvLimits {
            max_value_size_bytes: 1024,
            ..KvLimits::default()
        })
        .build();
    let mut runtime = JsRuntime::new(RuntimeOptions {
        module_loader: Some(Rc::new(FsModuleLoader)),
        extensions: vec![
            deno_webidl::deno_webidl::init(),
            deno_web::deno_web::init(
                deno_web::BlobStore::default_arc(),
                None,
                false,
                Default::default(),
            ),
            kv_ext::kv_ext::init(config),
        ],
        ..Default::default()
    });
    let main = deno_core::resolve_path(&script, &std::env::current_dir()?)?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let id = runtime.load_main_es_module(&main).await?;
        let result = runtime.mod_evaluate(id);
        runtime.run_event_loop(Default::default()).await?;
        Ok(result.await?)
    })
}
