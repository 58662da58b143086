//! How paths, locations and durations are written in test reports.

use deno_core::url::Url;

use super::event::Location;

/// A module URL as Deno shows it: `./dir/file.ts` under the working
/// directory, `../x.ts` above it, other URLs unchanged.
pub fn display_path(url: &str) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return url.to_string();
    };
    if parsed.scheme() == "file" {
        if let Some(cwd) = std::env::current_dir()
            .ok()
            .and_then(|dir| Url::from_directory_path(dir).ok())
        {
            if let Some(relative) = cwd.make_relative(&parsed) {
                return if relative.starts_with("../") {
                    relative
                } else {
                    format!("./{relative}")
                };
            }
        }
    }
    url.to_string()
}

/// `./file.ts:line:column` (or `./file.ts:line` without a column).
pub fn location_label(location: &Location) -> String {
    let path = display_path(&location.file_name);
    match location.column {
        Some(column) => format!("{path}:{}:{column}", location.line),
        None => format!("{path}:{}", location.line),
    }
}

/// Deno's short duration: `12ms`, `3s`, `1m5s`.
pub fn human_elapsed(ms: u64) -> String {
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 {
        return format!("{}s", ms / 1_000);
    }
    let seconds = ms / 1_000;
    format!("{}m{}s", seconds / 60, seconds % 60)
}

/// A test's duration from microseconds: `512µs` below a millisecond.
pub fn test_elapsed(micros: u64) -> String {
    if micros < 1_000 {
        format!("{micros}\u{b5}s")
    } else {
        human_elapsed(micros / 1_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_elapsed(999), "999ms");
        assert_eq!(human_elapsed(61_500), "1m1s");
        assert_eq!(test_elapsed(512), "512\u{b5}s");
        assert_eq!(test_elapsed(3_400), "3ms");
    }
}
