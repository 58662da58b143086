//! Deno's flags that `kvrt run` and `kvrt test` accept, so that the command
//! lines people use with `deno` work unchanged.

use std::path::PathBuf;

use clap::Args;
use deno_permissions::PermissionsOptions;

/// The `--unstable-*` feature flags Deno 2.9 knows (its `--help`): accepted
/// and ignored, since every API kvrt has is always on.
const UNSTABLE_FEATURES: &[&str] = &[
    "kv",
    "cron",
    "net",
    "http",
    "fs",
    "ffi",
    "broadcast-channel",
    "worker-options",
    "sloppy-imports",
    "webgpu",
    "otel",
    "temporal",
    "unsafe-proto",
    "node-globals",
    "bare-node-builtins",
    "byonm",
    "lazy-dynamic-imports",
    "raw-imports",
    "tsgo",
    "process",
    "vsock",
    "npm-lazy-caching",
    "no-legacy-abort",
    "subdomain-wildcards",
    "bundle",
    "lockfile-v5",
];

/// Removes Deno's `--unstable` flags from the command line before parsing
/// (only those before a `run` script's name: later ones belong to the
/// script). Unknown `--unstable-*` flags stay and clap rejects them.
pub fn strip_unstable_flags(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut script_seen = false;
    let is_run = args.get(1).is_some_and(|a| a == "run");
    for (i, arg) in args.into_iter().enumerate() {
        let unstable = arg == "--unstable"
            || arg
                .strip_prefix("--unstable-")
                .is_some_and(|f| UNSTABLE_FEATURES.contains(&f));
        if unstable && !script_seen {
            continue;
        }
        if is_run && i > 1 && !arg.starts_with('-') && !script_seen {
            script_seen = true;
        }
        out.push(arg);
    }
    out
}

/// The permission, configuration and environment flags of `deno run`/`deno test`.
#[derive(Args, Debug, Clone, Default)]
pub struct DenoFlags {
    /// Allow all permissions.
    #[arg(short = 'A', long = "allow-all")]
    pub allow_all: bool,
    /// Always throw if a required permission wasn't granted (never prompt);
    /// also set by the DENO_NO_PROMPT environment variable.
    #[arg(long)]
    pub no_prompt: bool,
    /// Allow file system read access, optionally only to the given paths.
    #[arg(short = 'R', long, value_name = "PATH", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_read: Option<Vec<String>>,
    /// Allow file system write access, optionally only to the given paths.
    #[arg(short = 'W', long, value_name = "PATH", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_write: Option<Vec<String>>,
    /// Allow network access, optionally only to the given hosts.
    #[arg(short = 'N', long, value_name = "HOST", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_net: Option<Vec<String>>,
    /// Allow access to environment variables, optionally only to the given names.
    #[arg(short = 'E', long, value_name = "NAME", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_env: Option<Vec<String>>,
    /// Allow access to OS information, optionally only to the given apis.
    #[arg(short = 'S', long, value_name = "API", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_sys: Option<Vec<String>>,
    /// Allow running subprocesses, optionally only to the given programs.
    #[arg(long, value_name = "PROGRAM", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_run: Option<Vec<String>>,
    /// Allow loading dynamic libraries, optionally only to the given paths.
    #[arg(long, value_name = "PATH", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_ffi: Option<Vec<String>>,
    /// Allow importing from remote hosts, optionally only to the given hosts.
    #[arg(short = 'I', long, value_name = "HOST", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub allow_import: Option<Vec<String>>,
    /// Deny file system read access, optionally only to the given paths.
    #[arg(long, value_name = "PATH", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_read: Option<Vec<String>>,
    /// Deny file system write access, optionally only to the given paths.
    #[arg(long, value_name = "PATH", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_write: Option<Vec<String>>,
    /// Deny network access, optionally only to the given hosts.
    #[arg(long, value_name = "HOST", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_net: Option<Vec<String>>,
    /// Deny access to environment variables, optionally only to the given names.
    #[arg(long, value_name = "NAME", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_env: Option<Vec<String>>,
    /// Deny access to OS information, optionally only to the given apis.
    #[arg(long, value_name = "API", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_sys: Option<Vec<String>>,
    /// Deny running subprocesses, optionally only to the given programs.
    #[arg(long, value_name = "PROGRAM", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_run: Option<Vec<String>>,
    /// Deny loading dynamic libraries, optionally only to the given paths.
    #[arg(long, value_name = "PATH", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_ffi: Option<Vec<String>>,
    /// Deny importing from remote hosts, optionally only to the given hosts.
    #[arg(long, value_name = "HOST", num_args = 0.., value_delimiter = ',', require_equals = true)]
    pub deny_import: Option<Vec<String>>,
    /// The configuration file (`deno.json`/`deno.jsonc`) whose import map applies.
    #[arg(short = 'c', long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not look for `deno.json` / `deno.jsonc`.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// An import map file (instead of the configuration file's `imports`).
    #[arg(long, value_name = "FILE")]
    pub import_map: Option<PathBuf>,
    /// Load environment variables from FILE (default `.env`); variables
    /// already set are kept.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = ".env", action = clap::ArgAction::Append)]
    pub env_file: Vec<String>,
    /// A PEM file of certificates to trust for TLS, besides the
    /// certificate stores (instead of `DENO_CERT`).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// Accepted for compatibility: kvrt prints no diagnostics to quiet.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Accepted for compatibility: kvrt strips types and never type-checks.
    #[arg(long, value_name = "remote", num_args = 0..=1, require_equals = true)]
    pub no_check: Option<Vec<String>>,
}

impl DenoFlags {
    /// Loads the `--env-file`s and sets up the TLS roots (`--cert`).
    pub fn apply(&self) {
        for file in &self.env_file {
            load_env_file(file);
        }
        crate::tls::init(self.cert.clone());
    }

    /// The permissions these flags grant and deny, as Deno reads them: `-A`
    /// grants every kind; `prompt` says whether undecided checks may ask on
    /// a terminal (never under `--no-prompt` or `DENO_NO_PROMPT`).
    pub fn permissions(&self, prompt: bool) -> PermissionsOptions {
        let allow = |list: &Option<Vec<String>>| {
            if self.allow_all {
                Some(Vec::new())
            } else {
                list.clone()
            }
        };
        PermissionsOptions {
            allow_env: allow(&self.allow_env),
            deny_env: self.deny_env.clone(),
            ignore_env: None,
            allow_net: allow(&self.allow_net),
            deny_net: self.deny_net.clone(),
            allow_ffi: allow(&self.allow_ffi),
            deny_ffi: self.deny_ffi.clone(),
            allow_read: allow(&self.allow_read),
            deny_read: self.deny_read.clone(),
            ignore_read: None,
            allow_run: allow(&self.allow_run),
            deny_run: self.deny_run.clone(),
            allow_sys: allow(&self.allow_sys),
            deny_sys: self.deny_sys.clone(),
            allow_write: allow(&self.allow_write),
            deny_write: self.deny_write.clone(),
            allow_import: allow(&self.allow_import),
            deny_import: self.deny_import.clone(),
            prompt: prompt && !self.no_prompt && std::env::var_os("DENO_NO_PROMPT").is_none(),
        }
    }
}

/// Sets the variables of a dotenv file that are not set yet. A missing or
/// unreadable file is a warning, as in Deno.
fn load_env_file(path: &str) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(_) => {
            eprintln!(
                "Warning The `--env-file` flag was used, but the environment file specified '{path}' was not found."
            );
            return;
        }
    };
    for (key, value) in parse_env(&text) {
        if std::env::var_os(&key).is_none() && !key.is_empty() && !key.contains(['=', '\0']) {
            if value.contains('\0') {
                continue;
            }
            // SAFETY: called from main before any other thread starts.
            unsafe { std::env::set_var(key, value) };
        }
    }
}

/// Parses dotenv lines: `KEY=value`, `export KEY=value`, `#` comments,
/// single quotes (literal) and double quotes (with `\n` escapes).
fn parse_env(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, rest)) = line.split_once('=') else {
            continue;
        };
        let rest = rest.trim();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let inner = quoted.split_once('"').map_or(quoted, |(v, _)| v);
            inner.replace("\\n", "\n").replace("\\\"", "\"")
        } else if let Some(quoted) = rest.strip_prefix('\'') {
            quoted
                .split_once('\'')
                .map_or(quoted, |(v, _)| v)
                .to_string()
        } else {
            rest.split(" #")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        out.push((key.trim().to_string(), value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        let parsed = parse_env("A=1\n# c\nexport B=\"two words\"\nC='x' # tail\nD=\"l1\\nl2\"\nE=x=y\n  F = spaced  \n");
        let get = |k: &str| {
            parsed
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("A"), Some("1"));
        assert_eq!(get("B"), Some("two words"));
        assert_eq!(get("C"), Some("x"));
        assert_eq!(get("D"), Some("l1\nl2"));
        assert_eq!(get("E"), Some("x=y"));
        assert_eq!(get("F"), Some("spaced"));
    }

    #[test]
    fn unstable_flags_before_the_script_only() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            strip_unstable_flags(args(&[
                "kvrt",
                "run",
                "--unstable-kv",
                "a.ts",
                "--unstable-kv"
            ])),
            args(&["kvrt", "run", "a.ts", "--unstable-kv"])
        );
        assert_eq!(
            strip_unstable_flags(args(&[
                "kvrt",
                "test",
                "--unstable-kv",
                "x/",
                "--unstable-cron"
            ])),
            args(&["kvrt", "test", "x/"])
        );
        assert_eq!(
            strip_unstable_flags(args(&["kvrt", "run", "--unstable-nope", "a.ts"])),
            args(&["kvrt", "run", "--unstable-nope", "a.ts"])
        );
    }
}
