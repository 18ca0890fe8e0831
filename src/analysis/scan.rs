//! The word scanner: splits a text into words with byte spans, and tells where sentences end.
//!
//! Hand-written rather than UAX#29 (`unicode-segmentation`) because the rules that matter here are
//! few and domain-specific, and the scanner runs on every item: letters and digits form words;
//! `2,000` and `12.5` stay one number; `U.S.` stays one word; `Korea's` loses its possessive;
//! hyphens, slashes and dots otherwise split (`Pr-Nd` is two words, matched as a phrase). Han,
//! kana and Hangul runs become character bigrams, since those scripts do not separate words.
//! This module does not normalize case or Unicode forms; `analysis` does that per word.

/// What a scanned word is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WordClass {
    /// Letters only (possibly with an inner apostrophe or abbreviation dots).
    Alphabetic,
    /// Digits with optional thousands separators and one decimal point.
    Numeric,
    /// Letters and digits mixed: `2nd`, `Nd2O3`, `565M`, `Q1`.
    Mixed,
    /// A bigram (or lone character) of a CJK run.
    Cjk,
}

/// One word: its byte span in the scanned text and its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    pub start: usize,
    pub end: usize,
    pub class: WordClass,
    /// True when a sentence ends between the previous word and this one.
    pub starts_sentence: bool,
}

/// Scans the words of `text[range]`, appending them to `words` (spans stay relative to `text`).
pub(crate) fn scan_words(text: &str, range: std::ops::Range<usize>, words: &mut Vec<Word>) {
    let bytes = text.as_bytes();
    let mut position = range.start;
    let mut gap_start = range.start;
    let mut first = true;
    while position < range.end {
        let character = char_at(text, position);
        let width = character.len_utf8();
        if character.is_ascii() && !character.is_ascii_alphanumeric() {
            position += 1;
            continue;
        }
        if is_cjk(character) {
            let run_start = position;
            let mut run_end = position + width;
            while run_end < range.end && is_cjk(char_at(text, run_end)) {
                run_end += char_at(text, run_end).len_utf8();
            }
            let starts_sentence = first || sentence_break(text, gap_start, position, words.last());
            push_cjk_bigrams(text, run_start, run_end, starts_sentence, words);
            first = false;
            position = run_end;
            gap_start = run_end;
        } else if character.is_alphanumeric() {
            let end = word_end(text, position, range.end);
            let starts_sentence = first || sentence_break(text, gap_start, position, words.last());
            let class = classify_word(&text[position..end]);
            words.push(Word { start: position, end, class, starts_sentence });
            first = false;
            position = end;
            // Skip a possessive `'s` so that it neither joins the word nor becomes one.
            if let Some(after) = possessive_end(text, position, range.end) {
                position = after;
            }
            gap_start = position;
        } else {
            position += width;
        }
        debug_assert!(position <= bytes.len());
    }
}

/// True for Han ideographs, kana and Hangul, which are written without spaces between words.
pub(crate) fn is_cjk(character: char) -> bool {
    matches!(character as u32,
        0x3040..=0x30FF        // Hiragana, Katakana
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK unified ideographs
        | 0xAC00..=0xD7AF      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0x20000..=0x2FA1F) // CJK extensions B and later
}

/// An apostrophe as written in news: straight, curly, or the modifier letter.
pub(crate) fn is_apostrophe(character: char) -> bool {
    matches!(character, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{FF07}')
}

/// The character at byte `position` (a char boundary); ASCII without decoding.
fn char_at(text: &str, position: usize) -> char {
    match text.as_bytes().get(position) {
        Some(&byte) if byte < 0x80 => byte as char,
        Some(_) => text[position..].chars().next().unwrap_or('\0'),
        None => '\0',
    }
}

/// Letters and digits outside the CJK blocks; ASCII without decoding.
fn is_word_char(character: char) -> bool {
    if character.is_ascii() {
        character.is_ascii_alphanumeric()
    } else {
        character.is_alphanumeric() && !is_cjk(character)
    }
}

fn push_cjk_bigrams(text: &str, start: usize, end: usize, starts_sentence: bool, words: &mut Vec<Word>) {
    let mut boundaries = text[start..end].char_indices().map(|(offset, _)| start + offset);
    let Some(mut previous) = boundaries.next() else { return };
    let mut next_boundaries = boundaries.peekable();
    if next_boundaries.peek().is_none() {
        words.push(Word { start, end, class: WordClass::Cjk, starts_sentence });
        return;
    }
    let mut first = true;
    while let Some(current) = next_boundaries.next() {
        let bigram_end = next_boundaries.peek().copied().unwrap_or(end);
        words.push(Word {
            start: previous,
            end: bigram_end,
            class: WordClass::Cjk,
            starts_sentence: first && starts_sentence,
        });
        first = false;
        previous = current;
    }
}

/// The end of the word starting at `start`: letters and digits, joined by the few separators
/// that belong inside a word.
fn word_end(text: &str, start: usize, limit: usize) -> usize {
    let mut position = start;
    let mut segment_start = start;
    let bytes = text.as_bytes();
    while position < limit {
        // ASCII letters and digits: the common case, without decoding.
        if bytes[position].is_ascii_alphanumeric() {
            position += 1;
            continue;
        }
        let character = char_at(text, position);
        if is_word_char(character) {
            position += character.len_utf8();
            continue;
        }
        if !matches!(character, '.' | ',') && !is_apostrophe(character) {
            break;
        }
        let next_position = position + character.len_utf8();
        let next = if next_position < limit { char_at(text, next_position) } else { '\0' };
        let previous = match bytes.get(position.wrapping_sub(1)) {
            Some(&byte) if byte < 0x80 => byte as char,
            _ => text[..position].chars().next_back().unwrap_or('\0'),
        };
        let joins = match character {
            // 12.5, and U.S. / e.g. (a dot after a single letter, before a letter).
            '.' => {
                (previous.is_ascii_digit() && next.is_ascii_digit())
                    || (position - segment_start == previous.len_utf8()
                        && previous.is_alphabetic()
                        && next.is_alphabetic()
                        && single_letter_follows(text, next_position, limit))
            }
            // 2,000 but not "1,2" or a list "5,6,7": exactly three digits must follow.
            ',' => previous.is_ascii_digit() && thousands_group_follows(text, next_position, limit),
            // O'Neill, but not Korea's (handled by the caller).
            _ if is_apostrophe(character) => {
                previous.is_alphabetic()
                    && next.is_alphabetic()
                    && possessive_end(text, position, limit).is_none()
            }
            _ => false,
        };
        if !joins {
            break;
        }
        position = next_position;
        segment_start = next_position;
    }
    position
}

/// `U.S` continues only when one letter follows the dot: "U.S." but not "e.Commerce".
fn single_letter_follows(text: &str, position: usize, limit: usize) -> bool {
    let mut characters = text[position..limit].chars();
    let first = characters.next();
    let second = characters.next();
    first.is_some_and(char::is_alphabetic) && !second.is_some_and(char::is_alphanumeric)
}

fn thousands_group_follows(text: &str, position: usize, limit: usize) -> bool {
    let tail = &text.as_bytes()[position..limit];
    tail.len() >= 3
        && tail[..3].iter().all(u8::is_ascii_digit)
        && tail.get(3).is_none_or(|byte| !byte.is_ascii_digit())
}

/// If an apostrophe + `s` + a non-letter starts at `position`, the offset after the `s`.
fn possessive_end(text: &str, position: usize, limit: usize) -> Option<usize> {
    // Fast path: only `'` and the multi-byte apostrophes (lead bytes 0xCA, 0xE2, 0xEF) qualify.
    if !matches!(text.as_bytes().get(position), Some(b'\'' | 0xCA | 0xE2 | 0xEF)) {
        return None;
    }
    let mut characters = text[position..limit].char_indices();
    let (_, apostrophe) = characters.next()?;
    if !is_apostrophe(apostrophe) {
        return None;
    }
    let (s_offset, s) = characters.next()?;
    if s != 's' && s != 'S' {
        return None;
    }
    match characters.next() {
        Some((_, after)) if after.is_alphanumeric() => None,
        _ => Some(position + s_offset + 1),
    }
}

fn classify_word(word: &str) -> WordClass {
    let mut has_digit = false;
    let mut has_letter = false;
    if word.is_ascii() {
        for byte in word.bytes() {
            has_digit |= byte.is_ascii_digit();
            has_letter |= byte.is_ascii_alphabetic();
        }
        return class_of(has_digit, has_letter);
    }
    for character in word.chars() {
        if character.is_numeric() {
            has_digit = true;
        } else if character.is_alphabetic() {
            has_letter = true;
        }
    }
    class_of(has_digit, has_letter)
}

fn class_of(has_digit: bool, has_letter: bool) -> WordClass {
    match (has_digit, has_letter) {
        (true, false) => WordClass::Numeric,
        (true, true) => WordClass::Mixed,
        _ => WordClass::Alphabetic,
    }
}

/// Whether the gap `text[gap_start..word_start]` ends a sentence: a newline, or `.`, `!`, `?`
/// (or the CJK full stops) followed by space, unless the previous word is an abbreviation
/// that is not followed by a capital letter.
fn sentence_break(text: &str, gap_start: usize, word_start: usize, previous: Option<&Word>) -> bool {
    let gap = &text[gap_start..word_start];
    if gap == " " {
        return false;
    }
    if gap.contains('\n') || gap.contains(['。', '！', '？']) {
        return true;
    }
    let Some(stop_at) = gap.find(['.', '!', '?']) else { return false };
    if !gap[stop_at..].chars().any(char::is_whitespace) {
        return false;
    }
    let next_is_capital =
        text[word_start..].chars().next().is_some_and(|c| c.is_uppercase() || c.is_numeric());
    let previous_word = previous.map(|word| &text[word.start..word.end]).unwrap_or("");
    if stop_at == 0 && is_abbreviation(previous_word) {
        return next_is_capital && !is_title_abbreviation(previous_word);
    }
    true
}

fn is_abbreviation(word: &str) -> bool {
    word.contains('.')
        || matches!(
            word,
            "Co" | "Ltd"
                | "Inc"
                | "Corp"
                | "Mr"
                | "Ms"
                | "Mrs"
                | "Dr"
                | "St"
                | "No"
                | "vs"
                | "approx"
                | "Jan"
                | "Feb"
                | "Mar"
                | "Apr"
                | "Jun"
                | "Jul"
                | "Aug"
                | "Sep"
                | "Sept"
                | "Oct"
                | "Nov"
                | "Dec"
                | "Rs"
                | "Bhd"
                | "Pty"
                | "Plc"
                | "Mt"
        )
}

/// Abbreviations that are never the last word of a sentence in practice.
fn is_title_abbreviation(word: &str) -> bool {
    matches!(word, "Mr" | "Ms" | "Mrs" | "Dr" | "St" | "No" | "Rs" | "Mt" | "Co")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        scan_words(text, 0..text.len(), &mut found);
        found.iter().map(|word| &text[word.start..word.end]).collect()
    }

    #[test]
    fn numbers_stay_whole_and_lists_split() {
        assert_eq!(
            words("2,000 mt at 12.5% and 1,2 or 5,6,7."),
            ["2,000", "mt", "at", "12.5", "and", "1", "2", "or", "5", "6", "7"]
        );
        assert_eq!(words("$1,234,567.89 then 1,2345"), ["1,234,567.89", "then", "1", "2345"]);
    }

    #[test]
    fn abbreviations_possessives_and_hyphens() {
        assert_eq!(
            words("the U.S. and South Korea's Pr-Nd"),
            ["the", "U.S", "and", "South", "Korea", "Pr", "Nd"]
        );
        assert_eq!(words("Serra Verde’s O'Neill 2nd"), ["Serra", "Verde", "O'Neill", "2nd"]);
        assert_eq!(words("it's"), ["it"]);
    }

    #[test]
    fn cjk_runs_become_bigrams() {
        assert_eq!(words("稀土价格上涨 NdFeB"), ["稀土", "土价", "价格", "格上", "上涨", "NdFeB"]);
        assert_eq!(words("稀"), ["稀"]);
    }

    #[test]
    fn sentences_break_after_stops_but_not_after_abbreviations() {
        let text = "Prices rose. The U.S. government said so. Lynas Co. Ltd. Output fell";
        let mut found = Vec::new();
        scan_words(text, 0..text.len(), &mut found);
        let starts: Vec<&str> = found
            .iter()
            .filter(|word| word.starts_sentence)
            .map(|word| &text[word.start..word.end])
            .collect();
        assert_eq!(starts, ["Prices", "The", "Lynas", "Output"]);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in
            ["", "'", "’s", "..", "1,", "1,00", "a.", "\u{0}", "é'ś", "１２，０００", "🦀🦀", "U.", ".5"]
        {
            let _ = words(text);
        }
        assert_eq!(words("１２，０００ t"), ["１２", "０００", "t"]);
    }
}
