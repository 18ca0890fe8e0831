//! The word tables behind [`super::measure`]: currencies (symbols, codes, words), multipliers,
//! tonne units, price units and rates. Kept apart so the tables can be read (and extended) at a
//! glance; nothing here looks at context.

/// The period a tonnage is stated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    Total,
    PerYear,
    PerMonth,
    PerDay,
}

impl Rate {
    /// The suffix used in normalized values: `5000 t/year`.
    pub fn suffix(self) -> &'static str {
        match self {
            Rate::Total => "",
            Rate::PerYear => "/year",
            Rate::PerMonth => "/month",
            Rate::PerDay => "/day",
        }
    }
}

/// A currency sign written before an amount.
pub(crate) fn currency_symbol(symbol: char) -> Option<&'static str> {
    Some(match symbol {
        '$' | '＄' => "USD",
        '€' => "EUR",
        '£' | '￡' => "GBP",
        // In this domain the sign is nearly always the renminbi ("¥75,000/mt"); yen amounts are
        // written out ("yen") by the English-language sources.
        '¥' | '￥' => "CNY",
        '₹' => "INR",
        '₩' => "KRW",
        _ => return None,
    })
}

/// Letters glued to a `$`: `US$`, `A$`, `C$`, `HK$`, `R$`.
pub(crate) fn attached_currency(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "US" | "U.S" => "USD",
        "A" | "AU" | "AUD" => "AUD",
        "C" | "CA" | "CAD" | "CAN" => "CAD",
        "HK" => "HKD",
        "NZ" => "NZD",
        "S" | "SG" => "SGD",
        "R" => "BRL",
        "NT" => "TWD",
        "MX" => "MXN",
        _ => return None,
    })
}

/// ISO codes (and RMB), written in capitals: `USD 5 million`, `5 million USD`, `RMB 1.2 billion`.
pub(crate) fn currency_code(word: &str) -> Option<&'static str> {
    Some(match word {
        "USD" => "USD",
        "RMB" | "CNY" => "CNY",
        "EUR" => "EUR",
        "AUD" => "AUD",
        "CAD" => "CAD",
        "JPY" => "JPY",
        "KRW" => "KRW",
        "INR" => "INR",
        "GBP" => "GBP",
        "HKD" => "HKD",
        "ZAR" => "ZAR",
        "BRL" => "BRL",
        "CHF" => "CHF",
        "IDR" => "IDR",
        "SGD" => "SGD",
        "CLP" => "CLP",
        "RUB" => "RUB",
        "KZT" => "KZT",
        "MYR" => "MYR",
        "VND" => "VND",
        "PHP" => "PHP",
        "THB" => "THB",
        "TWD" => "TWD",
        "NZD" => "NZD",
        "MXN" => "MXN",
        _ => return None,
    })
}

/// Currency names written after an amount: `9.8 billion won`, `75,000 yuan`, `20 million euros`.
/// Only ever consulted right after a number, which is what makes "won" and "rand" safe.
pub(crate) fn currency_word(word: &str) -> Option<&'static str> {
    const WORDS: &[(&str, &str)] = &[
        ("yuan", "CNY"),
        ("renminbi", "CNY"),
        ("dollars", "USD"),
        ("dollar", "USD"),
        ("euros", "EUR"),
        ("euro", "EUR"),
        ("yen", "JPY"),
        ("won", "KRW"),
        ("rupees", "INR"),
        ("rupee", "INR"),
        ("rand", "ZAR"),
        ("reais", "BRL"),
        ("roubles", "RUB"),
        ("rubles", "RUB"),
        ("tenge", "KZT"),
        ("rupiah", "IDR"),
        ("ringgit", "MYR"),
        ("baht", "THB"),
        ("dong", "VND"),
    ];
    WORDS.iter().find(|(name, _)| word.eq_ignore_ascii_case(name)).map(|(_, code)| *code)
}

/// A multiplier after a number: the power of ten, and whether it is a spelled-out word (which
/// counts anywhere) rather than an abbreviation (which counts when glued to the number or after
/// a currency: `$565M`, `565M`, but not "5 m" of cable).
pub(crate) fn multiplier(word: &str) -> Option<(i32, bool)> {
    Some(match word {
        "thousand" | "thousands" | "Thousand" => (3, true),
        "million" | "millions" | "Million" | "mln" | "Mln" | "MLN" => (6, true),
        "billion" | "billions" | "Billion" | "bln" | "Bln" => (9, true),
        "trillion" | "Trillion" => (12, true),
        "crore" | "crores" | "Crore" => (7, true),
        "lakh" | "lakhs" | "Lakh" => (5, true),
        "k" | "K" => (3, false),
        "m" | "M" | "mn" | "Mn" | "MN" => (6, false),
        "b" | "B" | "bn" | "Bn" | "BN" => (9, false),
        "tn" | "trn" => (12, false),
        _ => return None,
    })
}

/// A tonne unit after a number: the power of ten to reach tonnes and the rate it implies.
/// SMM writes `mt` for the metric tonne; `Mt` (capital M, small t) is the mining sector's
/// million tonnes, as in `Mtpa`.
pub(crate) fn tonne_unit(word: &str) -> Option<(i32, Rate)> {
    Some(match word {
        "Mt" | "Mts" => (6, Rate::Total),
        "Mtpa" | "MTPA" | "mtpa" => (6, Rate::PerYear),
        "Mtpy" => (6, Rate::PerYear),
        "tpa" | "TPA" | "tpy" | "TPY" => (0, Rate::PerYear),
        "ktpa" | "KTPA" | "ktpy" | "Ktpa" => (3, Rate::PerYear),
        _ => {
            let lower = word.to_ascii_lowercase();
            match lower.as_str() {
                "t" | "mt" | "mts" | "tonne" | "tonnes" | "ton" | "tons" | "wmt" | "dmt" | "tonnage" => {
                    if lower == "tonnage" {
                        return None;
                    }
                    (0, Rate::Total)
                }
                "kt" | "kts" | "kilotonne" | "kilotonnes" | "kiloton" | "kilotons" => (3, Rate::Total),
                "megatonne" | "megatonnes" | "megaton" | "megatons" => (6, Rate::Total),
                _ => return None,
            }
        }
    })
}

/// A unit after a price's `/` or `per`: `t`, `kg`, `lb`, `oz`, `mtu`.
pub(crate) fn price_unit(word: &str) -> Option<&'static str> {
    const UNITS: &[(&str, &str)] = &[
        ("t", "t"),
        ("mt", "t"),
        ("tonne", "t"),
        ("ton", "t"),
        ("wmt", "t"),
        ("dmt", "t"),
        ("kg", "kg"),
        ("kilogram", "kg"),
        ("kilo", "kg"),
        ("g", "g"),
        ("gram", "g"),
        ("lb", "lb"),
        ("lbs", "lb"),
        ("pound", "lb"),
        ("oz", "oz"),
        ("ounce", "oz"),
        ("mtu", "mtu"),
        ("dmtu", "dmtu"),
    ];
    UNITS.iter().find(|(name, _)| word.eq_ignore_ascii_case(name)).map(|(_, unit)| *unit)
}

/// The period word after `/`, `per`, `a`: `/year`, `per annum`, `a month`.
pub(crate) fn rate_word(word: &str) -> Option<Rate> {
    const WORDS: &[(&str, Rate)] = &[
        ("year", Rate::PerYear),
        ("yr", Rate::PerYear),
        ("y", Rate::PerYear),
        ("a", Rate::PerYear),
        ("annum", Rate::PerYear),
        ("month", Rate::PerMonth),
        ("mo", Rate::PerMonth),
        ("day", Rate::PerDay),
        ("d", Rate::PerDay),
    ];
    WORDS.iter().find(|(name, _)| word.eq_ignore_ascii_case(name)).map(|(_, rate)| *rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capital_m_small_t_is_million_tonnes_but_mt_is_a_tonne() {
        assert_eq!(tonne_unit("Mt"), Some((6, Rate::Total)));
        assert_eq!(tonne_unit("mt"), Some((0, Rate::Total)));
        assert_eq!(tonne_unit("MT"), Some((0, Rate::Total)));
        assert_eq!(tonne_unit("tonnage"), None);
        assert_eq!(tonne_unit("ktpa"), Some((3, Rate::PerYear)));
    }

    #[test]
    fn currencies_by_symbol_code_and_word() {
        assert_eq!(currency_symbol('$'), Some("USD"));
        assert_eq!(attached_currency("A"), Some("AUD"));
        assert_eq!(currency_code("RMB"), Some("CNY"));
        assert_eq!(currency_code("usd"), None);
        assert_eq!(currency_word("Rupees"), Some("INR"));
        assert_eq!(multiplier("M"), Some((6, false)));
        assert_eq!(multiplier("billion"), Some((9, true)));
    }
}
