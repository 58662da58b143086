//! Module resolution as Deno does it: the import map of the `deno.json` /
//! `deno.jsonc` found upward from the entry module (or `--config`,
//! `--import-map`; none with `--no-config`), `npm:` and bare specifiers from
//! a local `node_modules` (Deno's `nodeModulesDir: "manual"`), `jsr:`
//! packages from the JSR registry, the built-in `@std/assert` (which
//! serves `@std/assert` in every form, so suites run offline) and the
//! `node:` modules kvrt provides (bare Node built-in names too, as in Deno).

use std::path::{Path, PathBuf};

use deno_core::{ModuleSpecifier, ModuleSpecifier as Url};
use deno_error::JsErrorBox;
use deno_semver::jsr::JsrPackageReqReference;
use deno_semver::npm::NpmPackageReqReference;
use import_map::{ImportMap, ImportMapErrorKind};

use crate::jsr::resolve_jsr;
use crate::npm::{not_found, resolve_npm};

/// Specifier under which the built-in assertion module is served.
pub const STD_ASSERT_URL: &str = "kvrt:std/assert";

/// Where configuration comes from (`--config`, `--no-config`, `--import-map`).
#[derive(Clone, Debug, Default)]
pub struct ConfigOptions {
    pub config: Option<PathBuf>,
    pub no_config: bool,
    pub import_map: Option<PathBuf>,
}

/// Resolves specifiers for one module graph.
#[derive(Debug, Default)]
pub struct Resolver {
    import_map: Option<ImportMap>,
}

/// True for `@std/assert` in the forms suites import it (bare, `jsr:`),
/// which the built-in copy serves.
fn is_std_assert(specifier: &str) -> bool {
    let name = specifier.strip_prefix("jsr:").unwrap_or(specifier);
    let name = name.strip_prefix('/').unwrap_or(name);
    name == "@std/assert" || name.starts_with("@std/assert@") || name.starts_with("@std/assert/")
}

/// The `node:` modules kvrt provides (runtime/js/node/, loaded on first
/// import by deno_core as lazily loaded ES modules).
const NODE_MODULES: &[&str] = &["buffer", "console", "process", "v8", "zlib"];

/// Node's built-in module names (`require("module").builtinModules`), which
/// Deno resolves bare as well as with `node:`.
const NODE_BUILTINS: &[&str] = &[
    "assert",
    "assert/strict",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "dns/promises",
    "domain",
    "events",
    "fs",
    "fs/promises",
    "http",
    "http2",
    "https",
    "inspector",
    "inspector/promises",
    "module",
    "net",
    "os",
    "path",
    "path/posix",
    "path/win32",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "readline/promises",
    "repl",
    "stream",
    "stream/consumers",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "util/types",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// Resolves `node:<name>`: a module kvrt provides, else Deno's error for
/// an unknown name, or a clear one for a Node module kvrt lacks.
fn resolve_node(url: ModuleSpecifier) -> Result<ModuleSpecifier, JsErrorBox> {
    let name = url.path();
    if NODE_MODULES.contains(&name) {
        return Ok(url);
    }
    if NODE_BUILTINS.contains(&name) || ["sqlite", "test", "sea"].contains(&name) {
        return Err(JsErrorBox::type_error(format!(
            "Unsupported built-in module: {url} (kvrt provides node:{})",
            NODE_MODULES.join(", node:")
        )));
    }
    Err(JsErrorBox::type_error(format!(
        "No such built-in module: {url}"
    )))
}

/// True for specifiers that are neither URLs nor paths.
fn is_bare(specifier: &str) -> bool {
    !(specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier.starts_with('/')
        || Url::parse(specifier).is_ok())
}

/// Finds `deno.json` or `deno.jsonc` in `dir` or above.
fn find_config(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find_map(|d| {
        ["deno.json", "deno.jsonc"]
            .iter()
            .map(|name| d.join(name))
            .find(|p| p.is_file())
    })
}

impl Resolver {
    /// The resolver for a graph whose entry module is in `entry_dir`.
    pub fn discover(entry_dir: &Path, options: &ConfigOptions) -> Result<Self, String> {
        if let Some(path) = &options.import_map {
            return Ok(Resolver {
                import_map: Some(read_import_map(path)?),
            });
        }
        if options.no_config {
            return Ok(Resolver::default());
        }
        let config = match &options.config {
            Some(path) => Some(path.clone()),
            None => find_config(entry_dir),
        };
        let Some(config) = config else {
            return Ok(Resolver::default());
        };
        Ok(Resolver {
            import_map: read_config(&config)?,
        })
    }

    /// Resolves `specifier` imported from `referrer`.
    pub fn resolve(&self, specifier: &str, referrer: &str) -> Result<ModuleSpecifier, JsErrorBox> {
        let referrer_url = Url::parse(referrer).or_else(|_| {
            let cwd = std::env::current_dir().map_err(JsErrorBox::from_err)?;
            deno_core::resolve_path(referrer, &cwd).map_err(JsErrorBox::from_err)
        })?;
        let mapped = match &self.import_map {
            Some(map) => match map.resolve(specifier, &referrer_url) {
                Ok(url) => Some(url),
                Err(err) => match &*err.0 {
                    ImportMapErrorKind::UnmappedBareSpecifier(..) => None,
                    _ => return Err(JsErrorBox::type_error(err.to_string())),
                },
            },
            None => None,
        };
        let url = match mapped {
            Some(url) => url,
            None if is_bare(specifier) => return self.resolve_bare(specifier, &referrer_url),
            None => deno_core::resolve_import(specifier, referrer).map_err(JsErrorBox::from_err)?,
        };
        match url.scheme() {
            "node" => resolve_node(url),
            "jsr" if is_std_assert(url.as_str()) => std_assert_url(),
            "jsr" => {
                let text = url.as_str().replacen("jsr:/", "jsr:", 1);
                let reference = JsrPackageReqReference::from_str(&text)
                    .map_err(|e| JsErrorBox::type_error(e.to_string()))?;
                resolve_jsr(&reference)
            }
            "npm" => {
                let text = url.as_str().replacen("npm:/", "npm:", 1);
                let reference = NpmPackageReqReference::from_str(&text)
                    .map_err(|e| JsErrorBox::type_error(e.to_string()))?;
                resolve_npm(&reference, &referrer_url)?.ok_or_else(|| not_found(&reference))
            }
            _ => Ok(url),
        }
    }

    /// A bare specifier no import map entry matched: the built-in
    /// `@std/assert`, else a package in `node_modules`.
    fn resolve_bare(&self, specifier: &str, referrer: &Url) -> Result<ModuleSpecifier, JsErrorBox> {
        if is_std_assert(specifier) {
            return std_assert_url();
        }
        // Node's built-in names win over packages, as in Deno; one kvrt
        // does not provide falls back to a package of that name (a
        // polyfill in node_modules) before it is refused.
        let builtin = NODE_BUILTINS
            .contains(&specifier)
            .then(|| Url::parse(&format!("node:{specifier}")))
            .transpose()
            .map_err(JsErrorBox::from_err)?;
        if let Some(url) = &builtin {
            if NODE_MODULES.contains(&specifier) {
                return Ok(url.clone());
            }
        }
        if let Ok(reference) = NpmPackageReqReference::from_str(&format!("npm:{specifier}")) {
            if let Some(url) = resolve_npm(&reference, referrer)? {
                return Ok(url);
            }
        }
        if let Some(url) = builtin {
            return resolve_node(url);
        }
        let from = if self.import_map.is_some() {
            format!(" and not in import map from \"{referrer}\"")
        } else {
            String::new()
        };
        Err(JsErrorBox::type_error(format!(
            "Import \"{specifier}\" not a dependency{from}\n  hint: If you want to use the npm package, install it into node_modules (npm install {specifier}) or map it in deno.json's \"imports\""
        )))
    }
}

fn std_assert_url() -> Result<ModuleSpecifier, JsErrorBox> {
    Url::parse(STD_ASSERT_URL).map_err(JsErrorBox::from_err)
}

/// Reads a `deno.json`/`deno.jsonc` and builds the import map of its
/// `imports` and `scopes` (or of the file its `importMap` names).
fn read_config(path: &Path) -> Result<Option<ImportMap>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Unable to read config file \"{}\": {e}", path.display()))?;
    let value = jsonc_parser::parse_to_serde_value(&text, &Default::default()).map_err(|e| {
        format!(
            "Unable to parse config file JSON \"{}\": {e}",
            path.display()
        )
    })?;
    let Some(serde_json::Value::Object(config)) = value else {
        return Err(format!(
            "config file \"{}\" is not an object",
            path.display()
        ));
    };
    if let Some(serde_json::Value::String(file)) = config.get("importMap") {
        let base = path.parent().unwrap_or(Path::new("."));
        return read_import_map(&base.join(file)).map(Some);
    }
    let mut map = serde_json::Map::new();
    for key in ["imports", "scopes"] {
        if let Some(value) = config.get(key) {
            map.insert(key.to_string(), value.clone());
        }
    }
    if map.is_empty() {
        return Ok(None);
    }
    let value = import_map::ext::expand_import_map_value(serde_json::Value::Object(map));
    let base = file_url(path)?;
    import_map::parse_from_value(base, value)
        .map(|parsed| Some(parsed.import_map))
        .map_err(|e| format!("{e} (in \"{}\")", path.display()))
}

/// Reads an import map file.
fn read_import_map(path: &Path) -> Result<ImportMap, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Unable to load import map \"{}\": {e}", path.display()))?;
    import_map::parse_from_json(file_url(path)?, &text)
        .map(|parsed| parsed.import_map)
        .map_err(|e| format!("{e} (in \"{}\")", path.display()))
}

/// The `file:` URL of a path (made absolute against the working directory).
fn file_url(path: &Path) -> Result<Url, String> {
    let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Url::from_file_path(&absolute).map_err(|()| format!("not a file path: {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_assert_url_parses() {
        assert!(Url::parse(STD_ASSERT_URL).is_ok());
    }

    #[test]
    fn node_specifiers() {
        let resolver = Resolver::default();
        let referrer = "file:///main.ts";
        assert_eq!(
            resolver.resolve("node:zlib", referrer).unwrap().as_str(),
            "node:zlib"
        );
        assert_eq!(
            resolver.resolve("buffer", referrer).unwrap().as_str(),
            "node:buffer"
        );
        let err = resolver.resolve("node:nope", referrer).unwrap_err();
        assert_eq!(err.to_string(), "No such built-in module: node:nope");
        let err = resolver.resolve("node:fs", referrer).unwrap_err();
        assert!(
            err.to_string()
                .contains("Unsupported built-in module: node:fs"),
            "{err}"
        );
    }

    #[test]
    fn bare_specifiers() {
        assert!(is_bare("zod"));
        assert!(is_bare("@std/assert"));
        assert!(!is_bare("./a.ts"));
        assert!(!is_bare("npm:zod"));
        assert!(!is_bare("https://x/y.ts"));
    }
}
