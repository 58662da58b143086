//! File-system ops for the `Deno.*` file helpers scripts and tests use.

use std::path::PathBuf;

use deno_core::op2;

/// Creates a new empty temporary file or directory and returns its path.
fn make_temp(
    dir: Option<String>,
    prefix: Option<String>,
    suffix: Option<String>,
    is_dir: bool,
) -> Result<String, std::io::Error> {
    let base = dir.map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let prefix = prefix.unwrap_or_default();
    let suffix = suffix.unwrap_or_default();
    loop {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let path = base.join(format!("{prefix}{name}{suffix}"));
        let created = if is_dir {
            std::fs::create_dir(&path)
        } else {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map(drop)
        };
        match created {
            Ok(()) => return Ok(path.to_string_lossy().into_owned()),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
}

/// `Deno.makeTempFileSync` / `makeTempFile`.
#[op2]
#[string]
pub fn op_kvrt_make_temp_file(
    #[string] dir: Option<String>,
    #[string] prefix: Option<String>,
    #[string] suffix: Option<String>,
) -> Result<String, std::io::Error> {
    make_temp(dir, prefix, suffix, false)
}

/// `Deno.makeTempDirSync` / `makeTempDir`.
#[op2]
#[string]
pub fn op_kvrt_make_temp_dir(
    #[string] dir: Option<String>,
    #[string] prefix: Option<String>,
    #[string] suffix: Option<String>,
) -> Result<String, std::io::Error> {
    make_temp(dir, prefix, suffix, true)
}

/// `Deno.removeSync` / `remove`: a file, an empty directory, or a tree with `recursive`.
#[op2(fast)]
pub fn op_kvrt_remove(#[string] path: String, recursive: bool) -> Result<(), std::io::Error> {
    let meta = std::fs::symlink_metadata(&path)?;
    if meta.is_dir() {
        if recursive {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_dir(&path)
        }
    } else {
        std::fs::remove_file(&path)
    }
}

/// `Deno.readTextFileSync` / `readTextFile`.
#[op2]
#[string]
pub fn op_kvrt_read_text_file(#[string] path: String) -> Result<String, std::io::Error> {
    let bytes = std::fs::read(path)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `Deno.writeTextFileSync` / `writeTextFile`, optionally appending.
#[op2(fast)]
pub fn op_kvrt_write_text_file(
    #[string] path: String,
    #[string] data: String,
    append: bool,
) -> Result<(), std::io::Error> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(path)?;
    file.write_all(data.as_bytes())
}
