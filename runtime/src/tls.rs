//! The certificate roots kvrt trusts for TLS (KV Connect, `fetch`), chosen
//! as Deno chooses them: the stores `DENO_TLS_CA_STORE` names (`mozilla`,
//! the default, and `system`), plus the certificates of the PEM file given
//! by `--cert`, else by `DENO_CERT`. Loaded once per process on first use,
//! so a bad file fails the first TLS client with Deno's error, as in Deno.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use deno_error::JsErrorBox;
use deno_tls::rustls::RootCertStore;

/// The process's roots, set up by [`init`].
static ROOTS: OnceLock<Arc<DenoRootCerts>> = OnceLock::new();

/// Sets the `--cert` file for the process's roots (call once, before the
/// first runtime; later calls are ignored).
pub fn init(cert_file: Option<PathBuf>) {
    let _ = ROOTS.set(Arc::new(DenoRootCerts {
        cert_file,
        store: OnceLock::new(),
    }));
}

/// The process's roots (without `--cert` when [`init`] was not called).
pub fn root_certs() -> Arc<DenoRootCerts> {
    ROOTS
        .get_or_init(|| {
            Arc::new(DenoRootCerts {
                cert_file: None,
                store: OnceLock::new(),
            })
        })
        .clone()
}

/// The roots, loaded on first use.
pub struct DenoRootCerts {
    cert_file: Option<PathBuf>,
    store: OnceLock<RootCertStore>,
}

impl DenoRootCerts {
    fn get(&self) -> Result<&RootCertStore, JsErrorBox> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let store = self.load()?;
        Ok(self.store.get_or_init(|| store))
    }

    fn load(&self) -> Result<RootCertStore, JsErrorBox> {
        let mut store = RootCertStore::empty();
        let stores: Vec<String> = match std::env::var("DENO_TLS_CA_STORE") {
            Ok(names) => names
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(String::from)
                .collect(),
            Err(_) => vec!["mozilla".into()],
        };
        for name in &stores {
            match name.as_str() {
                "mozilla" => store.extend(deno_tls::webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
                "system" => {
                    let certs =
                        deno_tls::deno_native_certs::load_native_certs().map_err(|err| {
                            JsErrorBox::generic(format!("could not load platform certs: {err}"))
                        })?;
                    store.add_parsable_certificates(certs.into_iter().map(|cert| cert.0.into()));
                }
                other => {
                    return Err(JsErrorBox::generic(format!(
                    "Unknown certificate store \"{other}\" specified (allowed: \"system,mozilla\")"
                )))
                }
            }
        }
        let cert_file = self
            .cert_file
            .clone()
            .or_else(|| std::env::var_os("DENO_CERT").map(PathBuf::from));
        if let Some(path) = cert_file {
            let file = File::open(path)
                .map_err(|err| JsErrorBox::generic(format!("Failed opening CA file: {err}")))?;
            let certs = deno_tls::rustls_pemfile::certs(&mut BufReader::new(file))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| {
                    JsErrorBox::generic(format!(
                        "Unable to add pem file to certificate store: {err}"
                    ))
                })?;
            store.add_parsable_certificates(certs);
        }
        Ok(store)
    }
}

impl deno_tls::RootCertStoreProvider for DenoRootCerts {
    fn get_or_try_init(&self) -> Result<&RootCertStore, JsErrorBox> {
        self.get()
    }
}

impl kv_ext::KvRootCertificates for DenoRootCerts {
    fn root_certificates(&self) -> Result<&RootCertStore, JsErrorBox> {
        self.get()
    }
}
