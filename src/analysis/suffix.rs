//! What may follow a number in a measure: a multiplier (`million`, `bn`), a currency (`yuan`,
//! `US dollars`, `Australian cents`), a price unit (`/mt`, `per tonne`), a tonne unit (`mt`,
//! `wet tonnes`, `kt`), a period (`/year`, `a year`, `annual`, or after what is measured:
//! `4,440 mt of NdPr oxide per year`), a percent sign. Each function looks at the atoms after
//! atom `index` and says what it found and how many atoms it used; `measure` decides.

use super::decimal::Decimal;
use super::measure::{Atom, gap_before, next_word, word};
use super::units::{Rate, currency_code, currency_word, multiplier, price_unit, rate_word, tonne_unit};

pub(super) fn multiplier_after(
    text: &str,
    atoms: &[Atom],
    index: usize,
    has_currency: bool,
) -> Option<(i32, usize)> {
    let (next, attached) = next_word(text, atoms, index)?;
    let (power, is_word) = multiplier(next)?;
    (is_word || attached || has_currency).then_some((power, 1))
}

/// A currency after an amount: its code, the atoms it uses, and a power of ten for subunits
/// ("95 Australian cents" is 0.95 AUD).
pub(super) fn currency_after(text: &str, atoms: &[Atom], index: usize) -> Option<(&'static str, usize, i32)> {
    let (first, _) = next_word(text, atoms, index)?;
    if let Some(code) = currency_code(first).or_else(|| currency_word(first)) {
        return Some((code, 1, 0));
    }
    if first.eq_ignore_ascii_case("cents") {
        return Some(("USD", 1, -2));
    }
    let (second, _) = next_word(text, atoms, index + 1)?;
    let dollars = second.eq_ignore_ascii_case("dollars") || second.eq_ignore_ascii_case("dollar");
    let cents = second.eq_ignore_ascii_case("cents");
    let code = match first {
        "US" | "U.S" | "American" if cents => return Some(("USD", 2, -2)),
        "Australian" if cents => return Some(("AUD", 2, -2)),
        "Canadian" if cents => return Some(("CAD", 2, -2)),
        "US" | "U.S" | "American" if dollars => "USD",
        "Australian" if dollars => "AUD",
        "Canadian" if dollars => "CAD",
        "Singapore" if dollars => "SGD",
        "Taiwan" if dollars => "TWD",
        "Hong" if second == "Kong" => {
            let (third, _) = next_word(text, atoms, index + 2)?;
            return third.eq_ignore_ascii_case("dollars").then_some(("HKD", 3, 0));
        }
        "Swiss" if second.eq_ignore_ascii_case("francs") => "CHF",
        _ => return None,
    };
    Some((code, 2, 0))
}

/// A number written out before a multiplier: "one million tonnes", "three billion yuan".
pub(super) fn spelled_number(text: &str, atoms: &[Atom], index: usize) -> Option<Decimal> {
    const WORDS: &[(&str, u128)] = &[
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("twelve", 12),
        ("fifteen", 15),
        ("twenty", 20),
        ("thirty", 30),
        ("forty", 40),
        ("fifty", 50),
        ("hundred", 100),
    ];
    // Cheap first: every spelled number here starts with one of these letters.
    let this = word(text, atoms, index);
    let first = this.as_bytes().first()?.to_ascii_lowercase();
    if this.len() > 7 || !b"otfsenh".contains(&first) {
        return None;
    }
    let (next, _) = next_word(text, atoms, index)?;
    multiplier(next).filter(|(_, is_word)| *is_word)?;
    let value = WORDS.iter().find(|(name, _)| this.eq_ignore_ascii_case(name))?.1;
    Some(Decimal::new(value, 0))
}

/// A price unit after an amount: `/mt`, `/kg`, `per tonne`, `per metric ton`, `a tonne`.
pub(super) fn price_unit_after(text: &str, atoms: &[Atom], index: usize) -> Option<(&'static str, usize)> {
    let between = gap_before(text, atoms, index + 1);
    let next = word(text, atoms, index + 1);
    if between.trim() == "/" {
        return price_unit(next).map(|unit| (unit, 1));
    }
    if !is_space(between) || !(next.eq_ignore_ascii_case("per") || next == "a") {
        return None;
    }
    let mut used = 2;
    let mut candidate = word(text, atoms, index + used);
    if candidate.eq_ignore_ascii_case("metric") {
        used += 1;
        candidate = word(text, atoms, index + used);
    }
    price_unit(candidate).map(|unit| (unit, used))
}

/// A tonne unit after a number: ` mt`, `mt`, `-tonne`, ` metric tons`, `/t` is not one (that
/// is a price without a currency, rare and ambiguous).
pub(super) fn tonne_unit_after(text: &str, atoms: &[Atom], index: usize) -> Option<((i32, Rate), usize)> {
    let between = gap_before(text, atoms, index + 1);
    if !is_space(between) && between != "-" {
        return None;
    }
    // "metric tons", "wet tonnes", "dry metric tonnes".
    let mut used = 1;
    while used < 3
        && ["metric", "wet", "dry"]
            .iter()
            .any(|qualifier| word(text, atoms, index + used).eq_ignore_ascii_case(qualifier))
    {
        used += 1;
    }
    tonne_unit(word(text, atoms, index + used)).map(|unit| (unit, used))
}

pub(super) fn is_space(between: &str) -> bool {
    between.len() <= 3 && between.chars().all(|c| c == ' ' || c == '\u{a0}')
}

pub(super) fn rate_after(text: &str, atoms: &[Atom], index: usize) -> Option<(Rate, usize)> {
    if let Some(found) = rate_at(text, atoms, index) {
        return Some(found);
    }
    // "4,440 mt of NdPr oxide per year", "3,038 mt of Pr-Nd oxide, 114 mt of … per year": the
    // period may follow what is measured, and close a list of such tonnages.
    if !word(text, atoms, index + 1).eq_ignore_ascii_case("of") {
        return None;
    }
    let mut position = index + 1;
    while position < atoms.len() && position <= index + RATE_LOOKAHEAD {
        let between = gap_before(text, atoms, position + 1);
        if atoms.get(position + 1).is_none_or(|next| next.starts_sentence)
            || between.contains([';', ':', '(', ')', '.'])
        {
            return None;
        }
        let next = word(text, atoms, position + 1);
        if RATE_LOOKAHEAD_STOPS.iter().any(|stop| next.eq_ignore_ascii_case(stop)) {
            return None;
        }
        // "in 2025", "in January" start a time; "in hydroxide", "in MHP" do not.
        if next.eq_ignore_ascii_case("in") && starts_time(text, atoms, position + 2) {
            return None;
        }
        if let Some((rate, _)) = rate_at(text, atoms, position) {
            // The rate words stay in the text as words; only the period is taken.
            return Some((rate, 0));
        }
        position += 1;
    }
    None
}

/// How far past "of" a period may be found.
const RATE_LOOKAHEAD: usize = 16;

/// Words that start another phrase: a period after them is not this tonnage's.
const RATE_LOOKAHEAD_STOPS: &[&str] = &[
    "by", "from", "since", "during", "last", "this", "than", "to", "while", "but", "which", "that", "with",
    "for",
];

/// A number, a month, or a period word at atom `index`.
fn starts_time(text: &str, atoms: &[Atom], index: usize) -> bool {
    const TIME_WORDS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "the",
        "q1",
        "q2",
        "q3",
        "q4",
        "h1",
        "h2",
        "first",
        "second",
        "third",
        "fourth",
    ];
    atoms.get(index).is_some_and(|atom| atom.number.is_some())
        || TIME_WORDS.iter().any(|time| word(text, atoms, index).eq_ignore_ascii_case(time))
}

/// A period right after atom `index`: `/year`, `per annum`, `a year`, `annually`.
fn rate_at(text: &str, atoms: &[Atom], index: usize) -> Option<(Rate, usize)> {
    let between = gap_before(text, atoms, index + 1);
    let next = word(text, atoms, index + 1);
    if between.trim() == "/" {
        return rate_word(next).map(|rate| (rate, 1));
    }
    if !is_space(between) && between != "-" {
        return None;
    }
    if next.eq_ignore_ascii_case("annually") {
        return Some((Rate::PerYear, 1));
    }
    // "580,000 tonnes annual capacity": the word stays, for the phrase it starts.
    if next.eq_ignore_ascii_case("annual") || next.eq_ignore_ascii_case("yearly") {
        return Some((Rate::PerYear, 0));
    }
    let is_per = next.eq_ignore_ascii_case("per") || next == "a" || next == "each" || next == "every";
    let unit = word(text, atoms, index + 2);
    let rate = rate_word(unit).filter(|_| is_per && unit.len() > 1)?;
    // "5,000 mt a year earlier" compares with the past; it is not a rate.
    let after = word(text, atoms, index + 3);
    if matches!(after, "ago" | "earlier" | "before" | "later" | "prior") {
        return None;
    }
    Some((rate, 2))
}

/// `12.5%`, `12.5 percent`, `12.5 per cent`: the end offset and the atoms used.
pub(super) fn percent_after(text: &str, atoms: &[Atom], index: usize) -> Option<(usize, usize)> {
    let atom_end = atoms[index].end;
    let rest = &text[atom_end..];
    let trimmed = rest.trim_start_matches(' ');
    if trimmed.starts_with('%') || trimmed.starts_with('％') {
        let symbol_at = atom_end + (rest.len() - trimmed.len());
        return Some((symbol_at + trimmed.chars().next().map_or(1, char::len_utf8), 0));
    }
    let (next, _) = next_word(text, atoms, index)?;
    if next.eq_ignore_ascii_case("percent") || next.eq_ignore_ascii_case("pct") {
        return Some((atoms[index + 1].end, 1));
    }
    if next.eq_ignore_ascii_case("per") && word(text, atoms, index + 2).eq_ignore_ascii_case("cent") {
        return Some((atoms[index + 2].end, 2));
    }
    None
}
