//! Which files `kvrt test` runs: `*_test.*`, `*.test.*` and `test.*`
//! modules under the given paths, as `deno test` finds them.

use std::path::{Path, PathBuf};

/// True for file names `deno test` picks up: `*_test.ts`, `*.test.js`, `test.mjs`, ...
fn is_test_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(ext, "ts" | "tsx" | "mts" | "js" | "jsx" | "mjs")
        && (stem == "test" || stem.ends_with("_test") || stem.ends_with(".test"))
}

/// Walks `dir` recursively, collecting test files (skipping hidden
/// directories, `node_modules` and `target`).
fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if !name.starts_with('.') && name != "node_modules" && name != "target" {
                collect_dir(&path, out)?;
            }
        } else if is_test_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Expands the command-line paths into the sorted list of test modules (a
/// file named explicitly runs whatever its name).
pub fn discover(paths: &[String]) -> Result<Vec<PathBuf>, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![cwd.clone()]
    } else {
        paths.iter().map(|p| cwd.join(p)).collect()
    };
    let mut files = Vec::new();
    for root in roots {
        if root.is_dir() {
            collect_dir(&root, &mut files)
                .map_err(|e| format!("cannot read {}: {e}", root.display()))?;
        } else if root.is_file() {
            files.push(root);
        } else {
            return Err(format!("No such file or directory: {}", root.display()));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_file_names() {
        for name in ["a_test.ts", "a.test.js", "test.mjs", "x/b_test.tsx"] {
            assert!(is_test_file(Path::new(name)), "{name}");
        }
        for name in ["a.ts", "atest.ts", "a_test.txt", "test"] {
            assert!(!is_test_file(Path::new(name)), "{name}");
        }
    }
}
