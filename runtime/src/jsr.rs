//! `jsr:` specifiers through the JSR registry protocol: a package's
//! `meta.json` lists its versions, `<version>_meta.json` maps its exports to
//! files, served under `<registry>/@scope/name/<version>/`. `JSR_URL`
//! overrides the registry (`https://jsr.io/`), as in Deno.

use deno_core::ModuleSpecifier;
use deno_error::JsErrorBox;
use deno_semver::jsr::JsrPackageReqReference;
use deno_semver::Version;
use serde_json::Value;

use crate::remote::{fetch, Freshness};

/// The registry's base URL, ending in `/`.
fn registry() -> Result<ModuleSpecifier, JsErrorBox> {
    let mut base = std::env::var("JSR_URL").unwrap_or_else(|_| "https://jsr.io/".to_string());
    if !base.ends_with('/') {
        base.push('/');
    }
    ModuleSpecifier::parse(&base)
        .map_err(|e| JsErrorBox::type_error(format!("Invalid JSR_URL \"{base}\": {e}")))
}

/// Fetches and parses a registry JSON document.
fn json(url: &ModuleSpecifier, freshness: Freshness) -> Result<Value, String> {
    let file = fetch(url, freshness)?;
    serde_json::from_slice(&file.body).map_err(|e| format!("Invalid JSON at '{url}': {e}"))
}

/// Resolves a `jsr:` package reference to the URL of the file it exports.
pub fn resolve_jsr(reference: &JsrPackageReqReference) -> Result<ModuleSpecifier, JsErrorBox> {
    let req = reference.req();
    let name = &req.name;
    let base = registry()?;
    let join = |path: &str| {
        base.join(path)
            .map_err(|e| JsErrorBox::type_error(format!("Invalid JSR URL for '{name}': {e}")))
    };
    let meta_url = join(&format!("{name}/meta.json"))?;
    let meta = json(&meta_url, Freshness::PreferNetwork).map_err(|e| {
        JsErrorBox::generic(format!(
            "JSR package manifest for '{name}' failed to load. {e}"
        ))
    })?;
    let version = pick_version(&meta, reference).ok_or_else(|| {
        JsErrorBox::generic(format!(
            "Could not find version of '{name}' that matches specified version constraint '{}'",
            req.version_req
        ))
    })?;
    let version_meta_url = join(&format!("{name}/{version}_meta.json"))?;
    let version_meta = json(&version_meta_url, Freshness::PreferCache).map_err(|e| {
        JsErrorBox::generic(format!(
            "JSR package version manifest for '{name}@{version}' failed to load. {e}"
        ))
    })?;
    let export = reference.export_name();
    let path = version_meta
        .get("exports")
        .and_then(|exports| exports.get(export.as_ref()))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            JsErrorBox::generic(format!("Unknown export '{export}' for '{name}@{version}'."))
        })?;
    join(&format!(
        "{name}/{version}/{}",
        path.trim_start_matches("./")
    ))
}

/// The highest version that the requirement matches and that is not
/// yanked (the `latest` one for a tag or no requirement).
fn pick_version(meta: &Value, reference: &JsrPackageReqReference) -> Option<String> {
    let req = &reference.req().version_req;
    let versions = meta.get("versions")?.as_object()?;
    if req.tag().is_some() {
        return meta.get("latest")?.as_str().map(str::to_string);
    }
    versions
        .iter()
        .filter(|(_, info)| !info.get("yanked").and_then(Value::as_bool).unwrap_or(false))
        .filter_map(|(text, _)| Some((Version::parse_standard(text).ok()?, text)))
        .filter(|(version, _)| req.matches(version))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, text)| text.clone())
}
