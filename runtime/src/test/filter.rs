//! `--filter`: a test name must contain the text, or match `/regex/`.

use regex::Regex;

/// Which test names run.
#[derive(Clone, Debug)]
pub enum NameFilter {
    All,
    Contains(String),
    Matches(Regex),
}

impl NameFilter {
    /// Parses `--filter`'s value; `/.../` is a regular expression.
    pub fn parse(filter: Option<&str>) -> Result<Self, String> {
        let Some(filter) = filter.filter(|f| !f.is_empty()) else {
            return Ok(NameFilter::All);
        };
        if filter.len() > 1 && filter.starts_with('/') && filter.ends_with('/') {
            let pattern = &filter[1..filter.len() - 1];
            return Regex::new(pattern)
                .map(NameFilter::Matches)
                .map_err(|e| format!("invalid --filter regular expression: {e}"));
        }
        Ok(NameFilter::Contains(filter.to_string()))
    }

    pub fn matches(&self, name: &str) -> bool {
        match self {
            NameFilter::All => true,
            NameFilter::Contains(text) => name.contains(text.as_str()),
            NameFilter::Matches(re) => re.is_match(name),
        }
    }

    pub fn is_set(&self) -> bool {
        !matches!(self, NameFilter::All)
    }
}
