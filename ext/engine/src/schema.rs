//! The database layout, created and migrated exactly like Deno's SQLite
//! backend does, so that files are interchangeable with Deno.

use rusqlite::{Connection, OptionalExtension};

use crate::error::EngineError;

/// Creates the table recording how far the migrations went. The text is
/// Deno's, so `sqlite3 file .schema` prints the same thing for both.
const CREATE_MIGRATION_TABLE: &str = "
create table if not exists migration_state(
  k integer not null primary key,
  version integer not null
)
";

/// Deno's migrations, in order; `migration_state.version` counts the applied ones.
const MIGRATIONS: [&str; 3] = [
    "
create table data_version (
  k integer primary key,
  version integer not null
);
insert into data_version (k, version) values (0, 0);
create table kv (
  k blob primary key,
  v blob not null,
  v_encoding integer not null,
  version integer not null
) without rowid;
",
    "
create table queue (
  ts integer not null,
  id text not null,
  data blob not null,
  backoff_schedule text not null,
  keys_if_undelivered blob not null,

  primary key (ts, id)
);
create table queue_running(
  deadline integer not null,
  id text not null,
  data blob not null,
  backoff_schedule text not null,
  keys_if_undelivered blob not null,

  primary key (deadline, id)
);
",
    "
alter table kv add column seq integer not null default 0;
alter table data_version add column seq integer not null default 0;
alter table kv add column expiration_ms integer not null default -1;
create index kv_expiration_ms_idx on kv (expiration_ms);
",
];

/// The schema version this engine writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Columns every table must have for the engine to work on it.
const REQUIRED_COLUMNS: [(&str, &[&str]); 5] = [
    ("data_version", &["k", "version", "seq"]),
    (
        "kv",
        &["k", "v", "v_encoding", "version", "seq", "expiration_ms"],
    ),
    (
        "queue",
        &[
            "ts",
            "id",
            "data",
            "backoff_schedule",
            "keys_if_undelivered",
        ],
    ),
    (
        "queue_running",
        &[
            "deadline",
            "id",
            "data",
            "backoff_schedule",
            "keys_if_undelivered",
        ],
    ),
    ("migration_state", &["k", "version"]),
];

/// Why a file's layout is not usable; turned into
/// [`EngineError::SchemaMismatch`] by the caller, which knows the path.
#[derive(Debug)]
pub(crate) enum SchemaProblem {
    /// The layout does not match.
    Mismatch(String),
    /// SQLite failed while inspecting or migrating.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for SchemaProblem {
    fn from(e: rusqlite::Error) -> Self {
        SchemaProblem::Sqlite(e)
    }
}

/// Applies the missing migrations inside the caller's write transaction.
pub(crate) fn migrate(conn: &Connection) -> Result<(), SchemaProblem> {
    conn.execute_batch(CREATE_MIGRATION_TABLE)?;
    let current: i64 = conn
        .query_row(
            "select version from migration_state where k = 0",
            [],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(SchemaProblem::Mismatch(format!(
            "schema version {current} is newer than the supported version {SCHEMA_VERSION}"
        )));
    }
    if current < 0 {
        return Err(SchemaProblem::Mismatch(format!(
            "invalid schema version {current}"
        )));
    }
    let start = usize::try_from(current).unwrap_or(0);
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(start) {
        conn.execute_batch(migration)?;
        let version = i64::try_from(i + 1).unwrap_or(SCHEMA_VERSION);
        conn.execute(
            "replace into migration_state (k, version) values (0, ?)",
            [version],
        )?;
    }
    validate(conn)
}

/// Checks that the tables the engine uses exist with the expected columns
/// and that the version row is there.
pub(crate) fn validate(conn: &Connection) -> Result<(), SchemaProblem> {
    for (table, columns) in REQUIRED_COLUMNS {
        let mut stmt = conn.prepare(&format!("pragma table_info({table})"))?;
        let present: Vec<String> = stmt
            .query_map([], |row| row.get::<_, String>(1))?
            .collect::<Result<_, _>>()?;
        if present.is_empty() {
            return Err(SchemaProblem::Mismatch(format!(
                "table '{table}' is missing"
            )));
        }
        for column in columns.iter() {
            if !present.iter().any(|p| p == column) {
                return Err(SchemaProblem::Mismatch(format!(
                    "table '{table}' has no column '{column}'"
                )));
            }
        }
    }
    let rows: i64 = conn.query_row("select count(*) from data_version where k = 0", [], |row| {
        row.get(0)
    })?;
    if rows != 1 {
        return Err(SchemaProblem::Mismatch(
            "table 'data_version' has no row 0".to_string(),
        ));
    }
    Ok(())
}

/// Turns a [`SchemaProblem`] into the engine error for the file at `path`.
pub(crate) fn problem_to_error(problem: SchemaProblem, path: &std::path::Path) -> EngineError {
    match problem {
        SchemaProblem::Mismatch(reason) => EngineError::SchemaMismatch {
            path: path.to_path_buf(),
            reason,
        },
        // A lock held elsewhere is retried by the caller; damage is reported
        // as such; any other failure means the tables are not Deno's.
        SchemaProblem::Sqlite(e) if crate::connection::is_busy(&e) => EngineError::Database(e),
        SchemaProblem::Sqlite(e) => match crate::connection::classify(e, Some(path)) {
            EngineError::Database(e) => EngineError::SchemaMismatch {
                path: path.to_path_buf(),
                reason: e.to_string(),
            },
            other => other,
        },
    }
}
