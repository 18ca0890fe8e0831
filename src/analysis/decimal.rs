//! Exact decimal numbers for amounts and tonnages, so that `72.8 billion` is 72800000000 and not
//! 72799999999.99999 (as `72.8 * 1e9` is in `f64`), and two spellings of one amount compare equal.
//!
//! Only what the analysis needs: parse a numeral with thousands separators, scale by powers of
//! ten, print canonically, convert to `f64`. No arithmetic between two decimals.

use std::fmt;

/// `mantissa × 10^exponent`, kept with no trailing zeros in the mantissa so that equal values
/// are equal structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Decimal {
    mantissa: u128,
    exponent: i32,
}

/// Numerals longer than this are not numbers anyone reports; they are left as plain words.
const MAX_SIGNIFICANT_DIGITS: usize = 30;

impl Decimal {
    /// Parses `2,000`, `12.5`, `1,234,567.89` (ASCII digits, `,` between groups of three, one
    /// `.`); None for anything else or for more than 30 significant digits.
    pub fn parse(numeral: &str) -> Option<Decimal> {
        let mut mantissa: u128 = 0;
        let mut exponent: i32 = 0;
        let mut digits = 0usize;
        let mut seen_point = false;
        let mut any_digit = false;
        for byte in numeral.bytes() {
            match byte {
                b'0'..=b'9' => {
                    any_digit = true;
                    if mantissa == 0 && byte == b'0' && !seen_point {
                        continue;
                    }
                    digits += 1;
                    if digits > MAX_SIGNIFICANT_DIGITS {
                        return None;
                    }
                    mantissa = mantissa * 10 + u128::from(byte - b'0');
                    if seen_point {
                        exponent -= 1;
                    }
                }
                b',' if !seen_point => {}
                b'.' if !seen_point => seen_point = true,
                _ => return None,
            }
        }
        any_digit.then(|| Decimal::new(mantissa, exponent))
    }

    /// `mantissa × 10^exponent`, normalized.
    pub fn new(mut mantissa: u128, mut exponent: i32) -> Decimal {
        if mantissa == 0 {
            return Decimal { mantissa: 0, exponent: 0 };
        }
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent = exponent.saturating_add(1);
        }
        Decimal { mantissa, exponent }
    }

    /// This value times `10^power` (`million` is `scaled(6)`).
    pub fn scaled(self, power: i32) -> Decimal {
        Decimal::new(self.mantissa, self.exponent.saturating_add(power))
    }

    /// The value as `f64`, for comparisons with a tolerance (the story vetoes).
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 * 10f64.powi(self.exponent)
    }

    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }
}

impl fmt::Display for Decimal {
    /// Plain digits, no separators, no exponent for any value a news item reports:
    /// `565000000`, `12.5`, `0.27`. Absurd magnitudes fall back to `{mantissa}e{exponent}`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.to_string();
        if self.exponent >= 0 {
            if self.exponent > 30 {
                return write!(formatter, "{digits}e{}", self.exponent);
            }
            formatter.write_str(&digits)?;
            for _ in 0..self.exponent {
                formatter.write_str("0")?;
            }
            return Ok(());
        }
        let fraction_digits = self.exponent.unsigned_abs() as usize;
        if fraction_digits > 40 {
            return write!(formatter, "{digits}e{}", self.exponent);
        }
        if digits.len() > fraction_digits {
            let (whole, fraction) = digits.split_at(digits.len() - fraction_digits);
            write!(formatter, "{whole}.{fraction}")
        } else {
            formatter.write_str("0.")?;
            for _ in 0..fraction_digits - digits.len() {
                formatter.write_str("0")?;
            }
            formatter.write_str(&digits)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(numeral: &str, power: i32, expected: &str) {
        let value = Decimal::parse(numeral).expect("parses").scaled(power);
        assert_eq!(value.to_string(), expected);
    }

    #[test]
    fn parses_and_prints_canonically() {
        check("2,000", 0, "2000");
        check("12.50", 0, "12.5");
        check("72.8", 9, "72800000000");
        check("565", 6, "565000000");
        check("0.27", 0, "0.27");
        check("007", 0, "7");
        check("0", 0, "0");
        check("0.0015", 3, "1.5");
        check("1,234,567.89", 0, "1234567.89");
    }

    #[test]
    fn equal_amounts_are_equal_whatever_the_spelling() {
        assert_eq!(Decimal::parse("565").unwrap().scaled(6), Decimal::parse("565,000,000").unwrap());
        assert_eq!(Decimal::parse("2").unwrap().scaled(3), Decimal::parse("2000.0").unwrap());
        assert_ne!(Decimal::parse("20").unwrap().scaled(6), Decimal::parse("50").unwrap().scaled(6));
    }

    #[test]
    fn rejects_garbage_and_huge_numerals() {
        for numeral in ["", ",", ".", "1.2.3", "12a", "1234567890123456789012345678901"] {
            assert_eq!(Decimal::parse(numeral), None, "{numeral}");
        }
        let huge = Decimal::parse("999999999999999999999999999999").unwrap().scaled(i32::MAX);
        assert!(huge.to_string().contains('e'));
        assert!(Decimal::parse("5").unwrap().scaled(i32::MIN).to_string().contains('e'));
    }
}
