//! The command line of `kvrt kv`: subcommands, and which database file a
//! command means (a path, or `--default <script>`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `kvrt kv`: back up, restore, export, import and inspect Deno KV databases.
#[derive(Args, Debug)]
#[command(
    about = "Back up, restore, export, import and inspect Deno KV databases",
    long_about = "Back up, restore, export, import and inspect Deno KV database files \
(kvrt's and Deno's: the format is the same).\n\n\
DB is a database file path, or leave it out and give `--default <SCRIPT>` for the database \
that `Deno.openKv()` without a path opens in that script.\n\
Keys are JSON arrays: plain parts (`[\"users\", 1, true]`) or the typed parts of \
@deno/kv-utils (`[{\"type\":\"bigint\",\"value\":\"5\"}, {\"type\":\"Uint8Array\",\"value\":\"AQID\"}]`)."
)]
pub struct KvArgs {
    #[command(subcommand)]
    pub command: KvCommand,
}

/// Options every subcommand shares.
#[derive(Args, Debug, Clone, Default)]
pub struct Common {
    /// Use the default database of this script (what `Deno.openKv()` opens in
    /// it) instead of a DB path.
    #[arg(long = "default", value_name = "SCRIPT")]
    pub default: Option<String>,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum KvCommand {
    /// Copy a database consistently while other processes keep using it
    /// (entries, queues, versions: one commit's state).
    Backup {
        #[command(flatten)]
        common: Common,
        /// The database to copy.
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// The new file to write.
        #[arg(value_name = "DEST")]
        dest: Option<String>,
        /// Replace DEST if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace a database's contents with a backup; refuses a database that
    /// any process has open.
    Restore {
        #[command(flatten)]
        common: Common,
        /// The backup file (made by `kvrt kv backup`, or any Deno KV file).
        #[arg(value_name = "BACKUP")]
        backup: String,
        /// The database to replace (created if missing).
        #[arg(value_name = "DB")]
        db: Option<String>,
    },
    /// Write entries as newline-delimited JSON (the @deno/kv-utils JSON form:
    /// one `{"key","value","versionstamp"}` per line).
    Export {
        #[command(flatten)]
        common: Common,
        /// The database to read.
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// Only entries under this key prefix (a JSON key).
        #[arg(long, value_name = "JSON_KEY")]
        prefix: Option<String>,
        /// Write to FILE (replaced only once the export succeeded) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
    /// Read newline-delimited JSON entries (as `export` writes them) into a
    /// database, in atomic batches; versionstamps in the file are ignored.
    Import {
        #[command(flatten)]
        common: Common,
        /// The database to write (created if missing).
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// The file to read (`-` for standard input).
        #[arg(value_name = "FILE")]
        file: Option<String>,
    },
    /// Print the value of a key (Deno's inspect formatting, or --json).
    Get {
        #[command(flatten)]
        common: Common,
        /// The database to read.
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// The key, as JSON.
        #[arg(value_name = "JSON_KEY")]
        key: Option<String>,
        /// Print the entry in the @deno/kv-utils JSON form.
        #[arg(long)]
        json: bool,
    },
    /// List entries, one per line (key and value in Deno's inspect formatting, or --json).
    List {
        #[command(flatten)]
        common: Common,
        /// The database to read.
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// Only entries under this key prefix (a JSON key; default: all).
        #[arg(long, value_name = "JSON_KEY")]
        prefix: Option<String>,
        /// At most N entries.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        /// Last key first.
        #[arg(long)]
        reverse: bool,
        /// One @deno/kv-utils JSON entry per line (as `export` writes).
        #[arg(long)]
        json: bool,
    },
    /// Set a key to a value (plain JSON, or with --typed the @deno/kv-utils typed JSON form).
    Set {
        #[command(flatten)]
        common: Common,
        /// The database to write (created if missing).
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// The key, as JSON.
        #[arg(value_name = "JSON_KEY")]
        key: Option<String>,
        /// The value, as JSON.
        #[arg(value_name = "JSON_VALUE")]
        value: Option<String>,
        /// The value is in the typed form, e.g. `{"type":"KvU64","value":"5"}`.
        #[arg(long)]
        typed: bool,
        /// Expire the key after this many milliseconds.
        #[arg(long, value_name = "MS")]
        expire_in: Option<u64>,
    },
    /// Delete a key.
    Delete {
        #[command(flatten)]
        common: Common,
        /// The database to write.
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// The key, as JSON.
        #[arg(value_name = "JSON_KEY")]
        key: Option<String>,
    },
    /// Entries, bytes, queue depth and expired-but-not-collected entries.
    Stats {
        #[command(flatten)]
        common: Common,
        /// The database to read.
        #[arg(value_name = "DB")]
        db: Option<String>,
        /// Print the figures as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// The database a command means, and its remaining positional arguments.
///
/// With `--default <SCRIPT>` the DB positional is left out, so what clap
/// parsed as DB is the first of the other arguments: they shift by one.
pub fn database_and_rest(
    common: &Common,
    db: Option<String>,
    rest: Vec<Option<String>>,
    names: &[&str],
) -> Result<(PathBuf, Vec<String>), String> {
    let (path, given) = match &common.default {
        Some(script) => {
            let mut given: Vec<Option<String>> = vec![db];
            given.extend(rest);
            if let Some(Some(extra)) = given.get(names.len()) {
                return Err(format!(
                    "unexpected argument '{extra}': with --default the DB path is left out"
                ));
            }
            (default_database(script)?, given)
        }
        None => {
            let db = db.ok_or("the DB argument is missing (a path, or --default <SCRIPT>)")?;
            (PathBuf::from(db), rest)
        }
    };
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match given.get(i).cloned().flatten() {
            Some(value) => out.push(value),
            None => return Err(format!("the {name} argument is missing")),
        }
    }
    Ok((path, out))
}

/// The file `Deno.openKv()` without a path opens in `script` under kvrt:
/// `DENO_KV_DEFAULT_PATH` if set, else `kv.sqlite3` in the script's data
/// directory (see README, "Where databases live").
pub fn default_database(script: &str) -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var("DENO_KV_DEFAULT_PATH") {
        return Ok(PathBuf::from(path));
    }
    let cwd = std::env::current_dir()
        .map_err(|err| format!("cannot read the working directory: {err}"))?;
    let specifier = deno_core::resolve_path(script, &cwd).map_err(|err| err.to_string())?;
    let file = specifier
        .to_file_path()
        .map_err(|()| format!("not a file path: {script}"))?;
    if !file.is_file() {
        return Err(format!("script not found: {script}"));
    }
    Ok(kv_ext::default_database_dir(specifier.as_str()).join("kv.sqlite3"))
}

/// Checks that a database a command only reads exists (opening it would
/// create an empty one).
pub fn require_existing(path: &std::path::Path) -> Result<(), String> {
    if path.is_file() {
        Ok(())
    } else if path.exists() {
        Err(format!("'{}' is not a file", path.display()))
    } else {
        Err(format!("database file '{}' does not exist", path.display()))
    }
}
