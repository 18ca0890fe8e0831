//! Whether a taxonomy term matches at a token: stems, exact words and measure kinds in a row,
//! and, for `phrase ~ a|b` terms, one of the context phrases somewhere in the same sentence.
//!
//! Measure kinds come from the analysis, with one correction for topic scoring: a price range
//! written with the currency first ("RMB 148,000-152,000/t", "$21.50-22.40/lb") reaches the
//! analysis as two amounts of money and a unit word, so both amounts count as `<price>` here
//! when "/unit" follows them. The entities keep the analysis's reading.

use super::taxonomy::TermWord;
use crate::analysis::{Analysis, Token, TokenKind, term_hash};

/// Units that make an amount of money a price when written right after it as "/unit".
const PRICE_UNITS: &[&str] =
    &["t", "mt", "tonne", "ton", "dmt", "wmt", "kg", "lb", "lbs", "oz", "mtu", "dmtu"];

/// The measure kind of each token, as terms see it.
pub(crate) struct Measures {
    /// The hashes of `<money>`, `<price>`, `<quantity>`, `<percent>`.
    hashes: [u64; 4],
    /// Money tokens that are prices by a unit written after the range they end or start.
    unit_prices: Vec<usize>,
}

impl Measures {
    /// The measures of one item; `texts` are its title and body as analyzed.
    pub(crate) fn new(analysis: &Analysis, (title, body): (&str, &str)) -> Measures {
        let tokens = &analysis.tokens;
        let mut unit_prices = Vec::new();
        for (index, token) in tokens.iter().enumerate() {
            if token.kind != TokenKind::Money || analysis.norm(token).contains('/') {
                continue;
            }
            // The amount itself, or the first of a range ("148,000-152,000/t").
            let next_is_money = tokens.get(index + 1).is_some_and(|next| next.kind == TokenKind::Money);
            let unit_index = if next_is_money { index + 2 } else { index + 1 };
            let Some(unit) = tokens.get(unit_index) else { continue };
            let text = if unit.field == crate::analysis::Field::Title { title } else { body };
            let slash_before = unit.span.start > 0 && text.as_bytes().get(unit.span.start - 1) == Some(&b'/');
            if unit.field == token.field && slash_before && PRICE_UNITS.contains(&analysis.norm(unit)) {
                unit_prices.push(index);
                if next_is_money {
                    unit_prices.push(index + 1);
                }
            }
        }
        unit_prices.dedup();
        Measures { hashes: ["<money>", "<price>", "<quantity>", "<percent>"].map(term_hash), unit_prices }
    }

    /// The measure-kind hash of token `index`, if it is a measure.
    pub(crate) fn of(&self, analysis: &Analysis, index: usize) -> Option<u64> {
        let token = analysis.tokens.get(index)?;
        match token.kind {
            TokenKind::Money if analysis.norm(token).contains('/') => Some(self.hashes[1]),
            TokenKind::Money if self.unit_prices.contains(&index) => Some(self.hashes[1]),
            TokenKind::Money => Some(self.hashes[0]),
            TokenKind::Quantity => Some(self.hashes[2]),
            TokenKind::Percent => Some(self.hashes[3]),
            _ => None,
        }
    }
}

/// The token index after `words` starting at `start`, if they all match there (in one field).
pub(crate) fn words_end(
    analysis: &Analysis,
    start: usize,
    words: &[TermWord],
    measures: &Measures,
) -> Option<usize> {
    let end = start + words.len();
    let tokens = analysis.tokens.get(start..end)?;
    let field = tokens[0].field;
    let matches = tokens.iter().zip(words).enumerate().all(|(offset, (token, word))| {
        token.field == field
            && match *word {
                TermWord::Stem(hash) => token.stem_hash == hash,
                TermWord::Exact(hash) => token.norm_hash == hash,
                TermWord::Measure(hash) => measures.of(analysis, start + offset) == Some(hash),
                TermWord::Feature(_) => false,
            }
    });
    matches.then_some(end)
}

/// Whether one of `phrases` is in the sentence of token `index` (the title is one sentence).
pub(crate) fn sentence_has(
    analysis: &Analysis,
    index: usize,
    phrases: &[Vec<TermWord>],
    measures: &Measures,
) -> bool {
    let tokens = &analysis.tokens;
    let key = |token: &Token| (token.field, token.sentence);
    let sentence = key(&tokens[index]);
    let start =
        tokens[..index].iter().rposition(|token| key(token) != sentence).map_or(0, |before| before + 1);
    let end = tokens[index..]
        .iter()
        .position(|token| key(token) != sentence)
        .map_or(tokens.len(), |after| index + after);
    (start..end).any(|position| {
        phrases.iter().any(|phrase| {
            words_end(analysis, position, phrase, measures).is_some_and(|phrase_end| phrase_end <= end)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;

    fn kinds(body: &str) -> Vec<&'static str> {
        let analysis = analyze("", body);
        let measures = Measures::new(&analysis, ("", body));
        let names = ["<money>", "<price>", "<quantity>", "<percent>"];
        (0..analysis.tokens.len())
            .filter_map(|index| measures.of(&analysis, index))
            .map(|hash| names.into_iter().find(|name| term_hash(name) == hash).unwrap_or("?"))
            .collect()
    }

    #[test]
    fn a_range_with_the_currency_first_and_the_unit_after_is_a_price() {
        assert_eq!(kinds("Prices fell to RMB 148,000-152,000/t since."), ["<price>", "<price>"]);
        assert_eq!(kinds("Cobalt was assessed at $21.50-22.40/lb."), ["<price>", "<price>"]);
        assert_eq!(kinds("Quoted at 418,000-432,000 yuan/mt."), ["<price>", "<price>"]);
        // Money without a unit stays money; a tonnage after it is not a unit of price.
        assert_eq!(kinds("A loan of $1.5 billion for 40,000 t of output."), ["<money>", "<quantity>"]);
        assert_eq!(kinds("Revenue was $20 million; t is a letter."), ["<money>"]);
    }

    #[test]
    fn context_phrases_must_share_the_sentence() {
        let body = "Capacity is 5,000 t. Capacity will grow.";
        let analysis = analyze("", body);
        let measures = Measures::new(&analysis, ("", body));
        let quantity = vec![vec![TermWord::Measure(term_hash("<quantity>"))]];
        let capacities: Vec<usize> = (0..analysis.tokens.len())
            .filter(|index| analysis.norm(&analysis.tokens[*index]) == "capacity")
            .collect();
        assert!(sentence_has(&analysis, capacities[0], &quantity, &measures));
        assert!(!sentence_has(&analysis, capacities[1], &quantity, &measures));
    }
}
