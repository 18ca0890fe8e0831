//! Plain-text tables that fit a 100-column terminal, and CSV cells.

/// The terminal width tables are laid out for.
pub const TABLE_WIDTH: usize = 100;

/// Cuts `text` to `width` characters, ending with `…` when cut; pads to `width`.
pub fn cell(text: &str, width: usize) -> String {
    let single_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let length = single_line.chars().count();
    if length <= width {
        format!("{single_line:<width$}")
    } else {
        let cut: String = single_line.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Joins cells with one space and trims the right edge.
pub fn row(cells: &[String]) -> String {
    cells.join(" ").trim_end().to_string()
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// `2026-02-06T10:46:00Z` as `2026-02-06 10:46`, for tables.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).map(|head| head.replace('T', " ")).unwrap_or_else(|| rfc3339.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_pad_and_cut() {
        assert_eq!(cell("abc", 5), "abc  ");
        assert_eq!(cell("abcdefgh", 5), "abcd…");
        assert_eq!(cell("a\nb", 3), "a b");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
