//! Turns a byte offset in a TOML file into what a user needs to find the fault: the line number
//! and the dotted key (`fetch.interval`, `source[3].url`).
//!
//! This is a small scanner over the text, not a TOML parser: it only tracks table headers and
//! the key at the start of the line. It is used for error messages only, so a best-effort answer
//! (the enclosing table when the key cannot be told) is acceptable.

use std::collections::HashMap;

/// Where a config problem is: 1-based line and the dotted key, when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub key: Option<String>,
}

/// Finds the line and dotted key path at `offset` in `text`.
pub fn locate(text: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let mut table_path = String::new();
    let mut array_counts: HashMap<String, usize> = HashMap::new();
    let mut line_number = 0;
    let mut key_on_offset_line = None;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        line_number += 1;
        let line_end = line_start + line.len();
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix("[[").and_then(|h| h.split("]]").next()) {
            let name = header.trim().to_string();
            let count = array_counts.entry(name.clone()).or_insert(0);
            *count += 1;
            table_path = format!("{name}[{}]", *count);
        } else if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.split(']').next()) {
            table_path = indexed_table_path(header.trim(), &array_counts);
        } else if let Some((key, _)) = trimmed.split_once('=')
            && !trimmed.starts_with('#')
        {
            let key = key.trim().trim_matches('"');
            if offset >= line_start && offset < line_end.max(line_start + 1) {
                key_on_offset_line = Some(key.to_string());
            }
        }
        if offset < line_end || line_end == text.len() {
            let key = match key_on_offset_line {
                Some(key) if table_path.is_empty() => Some(key),
                Some(key) => Some(format!("{table_path}.{key}")),
                None if table_path.is_empty() => None,
                None => Some(table_path),
            };
            return Location { line: line_number, key };
        }
        line_start = line_end;
    }
    Location { line: line_number.max(1), key: None }
}

/// A `[source.scrape]` header inside the third `[[source]]` means `source[3].scrape`.
fn indexed_table_path(header: &str, array_counts: &HashMap<String, usize>) -> String {
    let mut best: Option<(&str, usize)> = None;
    for (array_name, count) in array_counts {
        let is_prefix = header == array_name
            || header.strip_prefix(array_name.as_str()).is_some_and(|rest| rest.starts_with('.'));
        if is_prefix && best.is_none_or(|(name, _)| name.len() < array_name.len()) {
            best = Some((array_name, *count));
        }
    }
    match best {
        Some((array_name, count)) => {
            format!("{array_name}[{count}]{}", &header[array_name.len()..])
        }
        None => header.to_string(),
    }
}

/// The byte offset of the start of `line` (1-based), for tests and callers holding a line.
#[cfg(test)]
fn offset_of_line(text: &str, line: usize) -> usize {
    text.split_inclusive('\n').take(line - 1).map(str::len).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "[fetch]\ninterval = \"15x\"\n\n[[source]]\nname = \"a\"\n\n[[source]]\nname = \"b\"\nurl = 3\n[source.scrape]\nitem = \"li\"\n";

    #[test]
    fn key_in_plain_table() {
        let location = locate(SAMPLE, offset_of_line(SAMPLE, 2) + 12);
        assert_eq!(location, Location { line: 2, key: Some("fetch.interval".into()) });
    }

    #[test]
    fn key_in_second_array_element() {
        let location = locate(SAMPLE, offset_of_line(SAMPLE, 9) + 6);
        assert_eq!(location, Location { line: 9, key: Some("source[2].url".into()) });
    }

    #[test]
    fn key_in_sub_table_of_array_element() {
        let location = locate(SAMPLE, offset_of_line(SAMPLE, 11) + 1);
        assert_eq!(location, Location { line: 11, key: Some("source[2].scrape.item".into()) });
    }

    #[test]
    fn header_line_names_the_table() {
        let location = locate(SAMPLE, offset_of_line(SAMPLE, 7));
        assert_eq!(location, Location { line: 7, key: Some("source[2]".into()) });
    }
}
