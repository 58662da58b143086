//! `npm:` and bare specifiers from a local `node_modules` (Deno's
//! `nodeModulesDir: "manual"`): the package is found upward from the
//! importing module, its version checked against the requirement, and its
//! entry chosen by `exports` (conditions `deno`, `node`, `import`,
//! `module`, `default`) or `main`. Only ES module packages load: kvrt has no
//! CommonJS loader.

use std::path::{Path, PathBuf};

use deno_core::ModuleSpecifier;
use deno_error::JsErrorBox;
use deno_semver::npm::NpmPackageReqReference;
use deno_semver::Version;
use serde_json::Value;

/// The `exports` conditions an `import` matches, as Deno resolves them.
const CONDITIONS: &[&str] = &["deno", "node", "import", "module", "default"];

/// Deno's error for a package that `node_modules` does not hold.
pub fn not_found(reference: &NpmPackageReqReference) -> JsErrorBox {
    let req = reference.req();
    JsErrorBox::generic(format!(
        "Could not find a matching package for 'npm:{req}' in the node_modules directory. Install it with npm (kvrt has no package manager), e.g. `npm install {}`.",
        req.name
    ))
}

/// Resolves an npm package reference imported from `referrer` to a file;
/// `None` when no `node_modules` above the referrer has the package.
pub fn resolve_npm(
    reference: &NpmPackageReqReference,
    referrer: &ModuleSpecifier,
) -> Result<Option<ModuleSpecifier>, JsErrorBox> {
    let req = reference.req();
    let not_found = || not_found(reference);
    let Some(package_dir) = find_package(&req.name, referrer) else {
        return Ok(None);
    };
    let manifest = read_manifest(&package_dir)?;
    if req.version_req.tag().is_none() {
        let version = manifest
            .get("version")
            .and_then(Value::as_str)
            .and_then(|v| Version::parse_from_npm(v).ok())
            .ok_or_else(not_found)?;
        if !req.version_req.matches(&version) {
            return Err(not_found());
        }
    }
    let sub_path = reference.sub_path().unwrap_or("");
    let file = entry(&package_dir, &manifest, sub_path).ok_or_else(|| {
        JsErrorBox::generic(format!(
            "Package subpath '{}' is not defined by \"exports\" in {}",
            if sub_path.is_empty() {
                ".".to_string()
            } else {
                format!("./{sub_path}")
            },
            package_dir.join("package.json").display()
        ))
    })?;
    if !is_esm(&file, &manifest) {
        return Err(JsErrorBox::generic(format!(
            "'npm:{req}' resolves to the CommonJS module {}, which kvrt cannot load (it has no CommonJS loader); use a package with an ES module entry",
            file.display()
        )));
    }
    ModuleSpecifier::from_file_path(&file)
        .map(Some)
        .map_err(|()| JsErrorBox::generic(format!("not a file path: {}", file.display())))
}

/// `node_modules/<name>` in the referrer's directory or above, else under
/// the working directory.
fn find_package(name: &str, referrer: &ModuleSpecifier) -> Option<PathBuf> {
    let start = referrer
        .to_file_path()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| std::env::current_dir().ok())?;
    start
        .ancestors()
        .map(|dir| dir.join("node_modules").join(name))
        .find(|dir| dir.join("package.json").is_file())
}

fn read_manifest(dir: &Path) -> Result<Value, JsErrorBox> {
    let path = dir.join("package.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| JsErrorBox::generic(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| JsErrorBox::generic(format!("invalid {}: {e}", path.display())))
}

/// The file a package subpath (`""` for the package itself) resolves to.
fn entry(dir: &Path, manifest: &Value, sub_path: &str) -> Option<PathBuf> {
    let key = if sub_path.is_empty() {
        ".".to_string()
    } else {
        format!("./{sub_path}")
    };
    if let Some(exports) = manifest.get("exports") {
        let target = export_target(exports, &key)?;
        let file = dir.join(target.trim_start_matches("./"));
        return file.is_file().then_some(file);
    }
    if sub_path.is_empty() {
        let main = manifest
            .get("main")
            .and_then(Value::as_str)
            .unwrap_or("index.js");
        return probe(&dir.join(main));
    }
    probe(&dir.join(sub_path))
}

/// `exports[key]` (or a `./prefix/*` pattern), conditions applied.
fn export_target(exports: &Value, key: &str) -> Option<String> {
    let is_map = |v: &Value| {
        v.as_object()
            .is_some_and(|o| o.keys().next().is_some_and(|k| k.starts_with('.')))
    };
    if !is_map(exports) {
        return (key == ".").then(|| conditional(exports, None)).flatten();
    }
    let map = exports.as_object()?;
    if let Some(target) = map.get(key) {
        return conditional(target, None);
    }
    // Patterns: the longest `./prefix*suffix` key that matches.
    let mut best: Option<(&str, &Value, String)> = None;
    for (pattern, target) in map {
        let Some((prefix, suffix)) = pattern.split_once('*') else {
            continue;
        };
        if key.len() >= prefix.len() + suffix.len()
            && key.starts_with(prefix)
            && key.ends_with(suffix)
        {
            let star = key[prefix.len()..key.len() - suffix.len()].to_string();
            if best.as_ref().is_none_or(|(p, _, _)| prefix.len() > p.len()) {
                best = Some((prefix, target, star));
            }
        }
    }
    let (_, target, star) = best?;
    conditional(target, Some(&star))
}

/// Applies conditions to an exports target; `star` fills a pattern.
fn conditional(target: &Value, star: Option<&str>) -> Option<String> {
    match target {
        Value::String(path) => Some(match star {
            Some(star) => path.replace('*', star),
            None => path.clone(),
        }),
        Value::Array(items) => items.iter().find_map(|item| conditional(item, star)),
        Value::Object(conditions) => conditions
            .iter()
            .filter(|(name, _)| CONDITIONS.contains(&name.as_str()))
            .find_map(|(_, value)| conditional(value, star)),
        _ => None,
    }
}

/// A file, or the same with `.js`/`.mjs`, or its `index.js`.
fn probe(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    for ext in ["js", "mjs"] {
        let with_ext = path.with_extension(ext);
        if with_ext.is_file() {
            return Some(with_ext);
        }
    }
    let index = path.join("index.js");
    index.is_file().then_some(index)
}

/// Whether Node would load `file` as an ES module.
fn is_esm(file: &Path, manifest: &Value) -> bool {
    match file.extension().and_then(|e| e.to_str()) {
        Some("mjs") => true,
        Some("cjs") => false,
        _ => manifest.get("type").and_then(Value::as_str) == Some("module"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exports_conditions_and_patterns() {
        let exports = json!({
            ".": { "types": "./a.d.ts", "require": "./a.cjs", "import": "./a.mjs" },
            "./sub/*": { "import": "./dist/*.mjs" },
            "./plain": "./plain.js"
        });
        assert_eq!(export_target(&exports, ".").as_deref(), Some("./a.mjs"));
        assert_eq!(
            export_target(&exports, "./sub/x").as_deref(),
            Some("./dist/x.mjs")
        );
        assert_eq!(
            export_target(&exports, "./plain").as_deref(),
            Some("./plain.js")
        );
        assert_eq!(export_target(&exports, "./missing"), None);
        assert_eq!(
            export_target(&json!("./only.js"), ".").as_deref(),
            Some("./only.js")
        );
        assert_eq!(
            export_target(&json!({"import": "./i.js"}), ".").as_deref(),
            Some("./i.js")
        );
    }
}
