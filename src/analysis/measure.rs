//! Money, tonnages and percentages read from the word stream: `$565 million`, `US$565 mln`,
//! `$565M`, `72.8 billion rupees`, `75,000 yuan/mt`, `2,000 mt/year`, `2kt`, `12.5%`.
//!
//! Works on atoms (words, with `565M` already split into `565` + `M`) and looks at the text
//! between them for symbols (`$`, `/`, `%`). Amounts stay exact ([`Decimal`]). A tonne unit that
//! belongs to a price (`yuan/mt`) is consumed by the price, so it is never also a quantity.
//! This module reads no context beyond one sentence and knows nothing of entities or topics.

use super::decimal::Decimal;
use super::suffix::{
    currency_after, is_space, multiplier_after, percent_after, price_unit_after, rate_after, spelled_number,
    tonne_unit_after,
};
use super::units::{Rate, attached_currency, currency_code, currency_symbol};

/// A word or number of one field, with its span in that field's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Atom {
    pub start: usize,
    pub end: usize,
    /// Set for numerals; None for words (and for numerals too long to be numbers).
    pub number: Option<Decimal>,
    pub is_cjk: bool,
    pub starts_sentence: bool,
}

/// What a measure measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeasureKind {
    /// An amount of money; `per_unit` is set for prices (`yuan/mt` → `"t"`).
    Money {
        currency: &'static str,
        per_unit: Option<&'static str>,
    },
    /// Metric tonnes, with the period when one is stated.
    Quantity {
        rate: Rate,
    },
    Percent,
    /// A number that is none of the above, with its word multiplier applied (`565 million`).
    Number,
}

/// One measure found: atoms `first..=last`, its span, kind and value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Found {
    pub first: usize,
    pub last: usize,
    pub start: usize,
    pub end: usize,
    pub kind: MeasureKind,
    pub value: Decimal,
    scale_power: i32,
}

/// Atoms closer than this after an "annual" cue take the cue's per-year rate.
const ANNUAL_CUE_REACH: usize = 12;

/// Every measure in `atoms`, in order, not overlapping; plain numbers included.
pub(crate) fn find_measures(text: &str, atoms: &[Atom], found: &mut Vec<Found>) {
    let mut index = 0;
    let mut annual_cue: Option<usize> = None;
    while index < atoms.len() {
        if atoms[index].starts_sentence {
            annual_cue = None;
        }
        let Some(mut measure) = measure_at(text, atoms, index) else {
            if is_annual_cue(word(text, atoms, index)) {
                annual_cue = Some(index);
            }
            index += 1;
            continue;
        };
        if let MeasureKind::Quantity { rate: Rate::Total } = measure.kind
            && annual_cue.is_some_and(|cue| measure.first - cue <= ANNUAL_CUE_REACH)
        {
            measure.kind = MeasureKind::Quantity { rate: Rate::PerYear };
        }
        // A yearly tonnage carries its period to the next ones of the sentence ("2,000 tonnes a
        // year, expandable to 5,000 tonnes").
        if measure.kind == (MeasureKind::Quantity { rate: Rate::PerYear }) {
            annual_cue = Some(measure.last);
        }
        index = measure.last + 1;
        if let Some(partner) = range_partner(text, atoms, &measure) {
            let (first, second) = merge_range(measure, partner);
            found.push(first);
            found.push(second);
            index = second.last + 1;
        } else {
            found.push(measure);
        }
    }
}

/// The measure starting at atom `index`, if that atom starts one (a currency word, or a number).
pub(crate) fn measure_at(text: &str, atoms: &[Atom], index: usize) -> Option<Found> {
    let atom = atoms.get(index)?;
    // Fast exit for the common case, a word that neither is a number nor stands before one.
    let next_is_number = atoms.get(index + 1).is_some_and(|next| next.number.is_some());
    if atom.number.is_none() && !next_is_number && (atom.is_cjk || atom.end - atom.start > 7) {
        return None;
    }
    let spelled = if atom.number.is_none() { spelled_number(text, atoms, index) } else { None };
    if atom.number.is_none() && spelled.is_none() && !next_is_number {
        return None;
    }
    let (mut currency, number_index, start) = if atom.number.is_some() || spelled.is_some() {
        // The sign may stand apart from the number ("€ 20 million"): the span starts at the sign.
        let gap = gap_before(text, atoms, index);
        let before = gap.trim_end();
        match before.chars().next_back().map(|sign| (sign, currency_symbol(sign))) {
            Some((sign, Some(code))) => {
                let sign_start = atom.start - gap.len() + before.len() - sign.len_utf8();
                (Some(code), index, sign_start)
            }
            _ => (None, index, atom.start),
        }
    } else {
        atoms.get(index + 1).filter(|next| next.number.is_some())?;
        let this_word = &text[atom.start..atom.end];
        let between = gap_before(text, atoms, index + 1);
        let code = if between == "$" {
            attached_currency(this_word)
        } else if between.trim().is_empty() || between == ". " {
            currency_code(this_word).or(if this_word == "Rs" { Some("INR") } else { None })
        } else {
            None
        }?;
        (Some(code), index + 1, atom.start)
    };
    let mut value = atoms[number_index].number.or(spelled)?;
    let mut last = number_index;
    let mut end = atoms[number_index].end;
    let mut scale_power = 0;
    if let Some((power, used)) = multiplier_after(text, atoms, last, currency.is_some()) {
        value = value.scaled(power);
        scale_power = power;
        last += used;
        end = atoms[last].end;
    }
    if currency.is_none()
        && let Some((code, used, power)) = currency_after(text, atoms, last)
    {
        currency = Some(code);
        value = value.scaled(power);
        scale_power += power;
        last += used;
        end = atoms[last].end;
    }
    let kind = if let Some(currency) = currency {
        let per_unit = price_unit_after(text, atoms, last).map(|(unit, used)| {
            last += used;
            end = atoms[last].end;
            unit
        });
        MeasureKind::Money { currency, per_unit }
    } else if let Some(((power, mut rate), used)) = tonne_unit_after(text, atoms, last) {
        value = value.scaled(power);
        scale_power += power;
        last += used;
        end = atoms[last].end;
        if let Some((stated, used)) = rate_after(text, atoms, last) {
            rate = stated;
            last += used;
            end = atoms[last].end;
        }
        MeasureKind::Quantity { rate }
    } else if let Some(percent_end) = percent_after(text, atoms, last) {
        end = percent_end.0;
        last += percent_end.1;
        MeasureKind::Percent
    } else {
        MeasureKind::Number
    };
    Some(Found { first: index, last, start, end, kind, value, scale_power })
}

pub(super) fn word<'t>(text: &'t str, atoms: &[Atom], index: usize) -> &'t str {
    atoms.get(index).filter(|atom| atom.number.is_none()).map_or("", |atom| &text[atom.start..atom.end])
}

/// The text between atom `index - 1` and atom `index` (empty for the first atom).
pub(super) fn gap_before<'t>(text: &'t str, atoms: &[Atom], index: usize) -> &'t str {
    match (index.checked_sub(1).and_then(|previous| atoms.get(previous)), atoms.get(index)) {
        (Some(previous), Some(atom)) if previous.end <= atom.start => &text[previous.end..atom.start],
        (None, Some(atom)) => {
            let from = text[..atom.start].char_indices().rev().nth(3).map_or(0, |(offset, _)| offset);
            &text[from..atom.start]
        }
        _ => "",
    }
}

/// The word after atom `index` when only spaces (or nothing) separate them.
pub(super) fn next_word<'t>(text: &'t str, atoms: &[Atom], index: usize) -> Option<(&'t str, bool)> {
    let between = gap_before(text, atoms, index + 1);
    if !is_space(between) {
        return None;
    }
    let next = word(text, atoms, index + 1);
    (!next.is_empty()).then_some((next, between.is_empty()))
}

fn is_annual_cue(word: &str) -> bool {
    if !(6..=10).contains(&word.len()) {
        return false;
    }
    ["annual", "annually", "yearly", "annualized", "annualised"]
        .iter()
        .any(|cue| word.eq_ignore_ascii_case(cue))
}

/// `750,000-760,000 yuan/mt`, `$20-30 million`, `5 to 10%`, `between 1.35 million and 1.38
/// million tonnes`: the second half of a range whose
/// first half is `measure`. Not after "by" (`fell by 2,000 to 75,000 yuan/mt` is a change and
/// a level, not a range).
fn range_partner(text: &str, atoms: &[Atom], measure: &Found) -> Option<Found> {
    let separator = gap_before(text, atoms, measure.last + 1);
    let separator = separator.trim_end_matches(|c| currency_symbol(c).is_some()).trim();
    let mut next_index = measure.last + 1;
    let after_between =
        measure.first > 0 && word(text, atoms, measure.first - 1).eq_ignore_ascii_case("between");
    if separator.is_empty() && after_between && word(text, atoms, next_index).eq_ignore_ascii_case("and") {
        next_index += 1;
    } else if separator.is_empty() && word(text, atoms, next_index).eq_ignore_ascii_case("to") {
        if measure.first > 0 && word(text, atoms, measure.first - 1).eq_ignore_ascii_case("by") {
            return None;
        }
        next_index += 1;
    } else if !matches!(separator, "-" | "–" | "—" | "~" | "‑") {
        return None;
    }
    atoms.get(next_index)?.number?;
    // "forecast for 2026 to $12,100": a year is not the low end of a range.
    let is_year = measure.kind == MeasureKind::Number
        && measure.scale_power == 0
        && (1900.0..=2100.0).contains(&measure.value.to_f64())
        && measure.value.to_f64().fract() == 0.0;
    if is_year {
        return None;
    }
    let partner = measure_at(text, atoms, next_index)?;
    let nothing_to_share = measure.kind == MeasureKind::Number
        && partner.kind == MeasureKind::Number
        && partner.scale_power == 0;
    (!nothing_to_share).then_some(partner)
}

fn merge_range(mut first: Found, mut second: Found) -> (Found, Found) {
    if first.scale_power == 0 && second.scale_power != 0 {
        first.value = first.value.scaled(second.scale_power);
        first.scale_power = second.scale_power;
    }
    match (first.kind, second.kind) {
        (MeasureKind::Number, kind) => first.kind = kind,
        (kind, MeasureKind::Number) => second.kind = kind,
        _ => {}
    }
    (first, second)
}
