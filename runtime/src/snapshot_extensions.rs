//! The extensions of every kvrt runtime, in the order of the start-up
//! snapshot that holds their JavaScript: the build script (`build.rs`)
//! evaluates them into the snapshot, and each runtime adds them again with
//! its own options, for their ops and state.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use deno_core::Extension;
use deno_tls::RootCertStoreProvider;

/// The `User-Agent` header of `fetch` requests (Deno sends `Deno/<version>`).
const USER_AGENT: &str = concat!("kvrt/", env!("CARGO_PKG_VERSION"));

/// The web platform, Deno's fs, io, crypto, net and fetch APIs, Deno KV
/// configured by `kv` and, last, `kvrt` (the `kvrt_runtime` extension of
/// src/extension.rs); `localStorage` lives in `storage_dir`, and `fetch` and
/// TLS sockets trust `roots`.
pub fn snapshot_extensions(
    kv: kv_ext::KvConfig,
    storage_dir: Option<PathBuf>,
    roots: Option<Arc<dyn RootCertStoreProvider>>,
    kvrt: Extension,
) -> Vec<Extension> {
    vec![
        deno_webidl::deno_webidl::init(),
        deno_web::deno_web::init(
            deno_web::BlobStore::default_arc(),
            None,
            false,
            Default::default(),
        ),
        // Deno.stdin/stdout/stderr are resources 0, 1 and 2, as in Deno.
        deno_io::deno_io::init(Some(deno_io::Stdio::default())),
        // The fs API, and fetch() of file: URLs, as in Deno.
        deno_fs::deno_fs::init(Rc::new(deno_fs::RealFs)),
        deno_webstorage::deno_webstorage::init(storage_dir),
        deno_crypto::deno_crypto::init(None),
        deno_net::deno_net::init(roots.clone(), None),
        deno_fetch::deno_fetch::init(deno_fetch::Options {
            user_agent: USER_AGENT.to_string(),
            file_fetch_handler: Rc::new(deno_fetch::FsFetchHandler),
            root_cert_store_provider: roots,
            ..Default::default()
        }),
        kv_ext::kv_ext::init(kv),
        kvrt,
    ]
}
