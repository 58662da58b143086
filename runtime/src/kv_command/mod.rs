//! `kvrt kv …`: back up, restore, export, import and inspect Deno KV
//! database files from the shell.
//!
//! - [`args`]: the subcommands and which database a command means.
//! - [`backup`]: backup, restore and stats, done by the engine on the file.
//! - [`js_host`] + `kv_command.js`: export, import, get, list, set and
//!   delete, which need stored values as JavaScript values; the
//!   @deno/kv-utils JSON form lives in `kv_command.js`.
//! - [`progress`]: progress display on standard error.

pub mod args;
mod backup;
mod js_host;
mod progress;

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use args::{database_and_rest, require_existing, Common};
pub use args::{KvArgs, KvCommand};
use js_host::Sink;
use progress::Progress;

/// Runs `kvrt kv <command>`; returns the process exit code.
pub fn run(args: KvArgs) -> i32 {
    // Paths on the command line are taken as given: Deno's overrides for
    // `Deno.openKv` inside scripts do not apply here.
    std::env::remove_var("DENO_KV_DB_MODE");
    std::env::remove_var("DENO_KV_PATH_PREFIX");
    match dispatch(args.command) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

fn dispatch(command: KvCommand) -> Result<(), String> {
    match command {
        KvCommand::Backup {
            common,
            db,
            dest,
            force,
        } => {
            let (db, rest) = database_and_rest(&common, db, vec![dest], &["DEST"])?;
            backup::backup(&db, Path::new(&rest[0]), force, common.quiet)
        }
        KvCommand::Restore {
            common,
            backup: file,
            db,
        } => {
            let db = match (&common.default, db) {
                (Some(script), None) => args::default_database(script)?,
                (Some(_), Some(extra)) => {
                    return Err(format!(
                        "unexpected argument '{extra}': with --default the DB path is left out"
                    ))
                }
                (None, Some(db)) => PathBuf::from(db),
                (None, None) => {
                    return Err("the DB argument is missing (a path, or --default <SCRIPT>)".into())
                }
            };
            if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
                if common.default.is_some() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
                }
            }
            backup::restore(Path::new(&file), &db, common.quiet)
        }
        KvCommand::Stats { common, db, json } => {
            let (db, _) = database_and_rest(&common, db, vec![], &[])?;
            backup::stats(&db, json)
        }
        KvCommand::Export {
            common,
            db,
            prefix,
            out,
        } => {
            let (db, _) = database_and_rest(&common, db, vec![], &[])?;
            export(&db, prefix, out, &common)
        }
        KvCommand::Import { common, db, file } => {
            let (db, rest) = database_and_rest(&common, db, vec![file], &["FILE"])?;
            import(&db, &rest[0], &common)
        }
        KvCommand::Get {
            common,
            db,
            key,
            json,
        } => {
            let (db, rest) = database_and_rest(&common, db, vec![key], &["JSON_KEY"])?;
            require_existing(&db)?;
            let request = serde_json::json!({
                "command": "get", "path": absolute(&db), "key": rest[0], "json": json,
            });
            js_command(request, &common).map(drop)
        }
        KvCommand::List {
            common,
            db,
            prefix,
            limit,
            reverse,
            json,
        } => {
            let (db, _) = database_and_rest(&common, db, vec![], &[])?;
            require_existing(&db)?;
            let request = serde_json::json!({
                "command": "list", "path": absolute(&db), "prefix": prefix,
                "limit": limit, "reverse": reverse, "json": json,
            });
            js_command(request, &common).map(drop)
        }
        KvCommand::Set {
            common,
            db,
            key,
            value,
            typed,
            expire_in,
        } => {
            let (db, rest) =
                database_and_rest(&common, db, vec![key, value], &["JSON_KEY", "JSON_VALUE"])?;
            create_parent(&db, &common)?;
            let request = serde_json::json!({
                "command": "set", "path": absolute(&db), "key": rest[0], "value": rest[1],
                "typed": typed, "expireIn": expire_in,
            });
            js_command(request, &common).map(drop)
        }
        KvCommand::Delete { common, db, key } => {
            let (db, rest) = database_and_rest(&common, db, vec![key], &["JSON_KEY"])?;
            require_existing(&db)?;
            let request = serde_json::json!({
                "command": "delete", "path": absolute(&db), "key": rest[0],
            });
            js_command(request, &common).map(drop)
        }
    }
}

/// The path as an absolute string (what the JS side passes to `Deno.openKv`).
fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// With `--default`, the script's data directory may not exist yet.
fn create_parent(db: &Path, common: &Common) -> Result<(), String> {
    if common.default.is_some() {
        if let Some(dir) = db.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
        }
    }
    Ok(())
}

/// Runs a JS command that writes to standard output; an answer without
/// `ok` is an error.
fn js_command(request: serde_json::Value, common: &Common) -> Result<serde_json::Value, String> {
    let stdout: Box<dyn Write> = Box::new(BufWriter::new(std::io::stdout()));
    let progress = Progress::new("", "", None, true);
    let _ = common;
    let (answer, sink) = js_host::run(request, Some(stdout), None, progress)?;
    if let Some(mut sink) = sink {
        sink.0
            .flush()
            .map_err(|e| format!("cannot write the output: {e}"))?;
    }
    check(answer)
}

/// Turns the JS answer into a result.
fn check(answer: serde_json::Value) -> Result<serde_json::Value, String> {
    if answer.get("ok").and_then(|v| v.as_bool()) == Some(true) {
        Ok(answer)
    } else {
        Err(answer
            .get("error")
            .and_then(|v| v.as_str())
            .unwrap_or("the command failed")
            .to_string())
    }
}

/// `kvrt kv export`.
fn export(
    db: &Path,
    prefix: Option<String>,
    out: Option<String>,
    common: &Common,
) -> Result<(), String> {
    require_existing(db)?;
    // The total for the progress bar: every live entry (without a prefix).
    let total = match prefix {
        None => kv_engine::stats(db, kv_engine::now_ms())
            .ok()
            .map(|s| s.entries),
        Some(_) => None,
    };
    let progress = Progress::new("export", "entries", total, common.quiet);
    // A file is written beside its destination and moved there only once
    // the export succeeded: a failed export leaves no half file.
    let (sink, tmp): (Box<dyn Write>, Option<(PathBuf, PathBuf)>) = match &out {
        None => (Box::new(BufWriter::new(std::io::stdout())), None),
        Some(out) => {
            let dest = PathBuf::from(out);
            let tmp = temp_beside(&dest);
            let file = std::fs::File::create(&tmp)
                .map_err(|e| format!("cannot create '{}': {e}", tmp.display()))?;
            (
                Box::new(BufWriter::with_capacity(1 << 20, file)),
                Some((tmp, dest)),
            )
        }
    };
    let request = serde_json::json!({
        "command": "export", "path": absolute(db), "prefix": prefix,
    });
    let started = std::time::Instant::now();
    let result = js_host::run(request, Some(sink), None, progress).and_then(|(answer, sink)| {
        let answer = check(answer)?;
        if let Some(Sink(mut w)) = sink {
            w.flush()
                .map_err(|e| format!("cannot write the output: {e}"))?;
        }
        Ok(answer)
    });
    let finish = |answer: serde_json::Value| -> Result<(), String> {
        if let Some((tmp, dest)) = &tmp {
            let file = std::fs::File::open(tmp)
                .map_err(|e| format!("cannot reopen '{}': {e}", tmp.display()))?;
            file.sync_all()
                .map_err(|e| format!("cannot sync '{}': {e}", tmp.display()))?;
            std::fs::rename(tmp, dest)
                .map_err(|e| format!("cannot move the export to '{}': {e}", dest.display()))?;
        }
        if !common.quiet {
            let count = answer.get("count").and_then(|c| c.as_u64()).unwrap_or(0);
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "exported {count} entries{} in {secs:.2}s ({:.0} entries/s)",
                out.as_deref()
                    .map(|o| format!(" to {o}"))
                    .unwrap_or_default(),
                count as f64 / secs.max(1e-9)
            );
        }
        Ok(())
    };
    let result = result.and_then(finish);
    if result.is_err() {
        if let Some((tmp, _)) = &tmp {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

/// A temporary name in the same directory as `dest`.
fn temp_beside(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    dest.with_file_name(format!(".{name}.kvrt-tmp-{}", std::process::id()))
}

/// `kvrt kv import`.
fn import(db: &Path, file: &str, common: &Common) -> Result<(), String> {
    let (reader, total): (Box<dyn std::io::BufRead>, Option<u64>) = if file == "-" {
        (Box::new(BufReader::new(std::io::stdin())), None)
    } else {
        let f = std::fs::File::open(file).map_err(|e| format!("cannot open '{file}': {e}"))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(1 << 20, f)), size)
    };
    create_parent(db, common)?;
    let progress = Progress::new("import", "bytes", total, common.quiet);
    let source = js_host::Source {
        reader,
        line: 0,
        bytes: 0,
    };
    let request = serde_json::json!({ "command": "import", "path": absolute(db) });
    let started = std::time::Instant::now();
    let (answer, _) = js_host::run(request, None, Some(source), progress)?;
    let imported = answer.get("imported").and_then(|c| c.as_u64()).unwrap_or(0);
    match check(answer.clone()) {
        Ok(_) => {
            if !common.quiet {
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "imported {imported} entries into {} in {secs:.2}s ({:.0} entries/s)",
                    db.display(),
                    imported as f64 / secs.max(1e-9)
                );
            }
            Ok(())
        }
        Err(message) => {
            let through = answer
                .get("committedThrough")
                .and_then(|c| c.as_u64())
                .unwrap_or(0);
            Err(format!(
                "{message}\n{imported} entries (input lines 1-{through}) were imported before the error; \
                 nothing after line {through} was written"
            ))
        }
    }
}
