//! `[dedup]`: how stories are formed (see `stories::Settings` for what each value does).
//! Every key is optional; the defaults were calibrated on the labelled set in
//! `tests/fixtures/labelled/` (see README, "Stories").

use serde::Deserialize;
use toml::Spanned;

use super::units::HumanDuration;
use super::{ConfigError, Invalid};
use crate::stories::Settings;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDedup {
    window: Option<Spanned<HumanDuration>>,
    close_after: Option<Spanned<HumanDuration>>,
    near_copy: Option<Spanned<f64>>,
    rewrite: Option<Spanned<f64>>,
    late_penalty: Option<Spanned<f64>>,
    headline_relief: Option<Spanned<f64>>,
    same_source_rewrite: Option<Spanned<f64>>,
    same_source_gap: Option<Spanned<HumanDuration>>,
    fact_tolerance: Option<Spanned<f64>>,
    brute_force_below: Option<Spanned<i64>>,
}

pub(super) fn validate_dedup(raw: RawDedup, invalid: &Invalid) -> Result<Settings, ConfigError> {
    let defaults = Settings::default();
    let seconds = |value: Option<Spanned<HumanDuration>>, default: i64| -> Result<i64, ConfigError> {
        match value {
            None => Ok(default),
            Some(spanned) if spanned.get_ref().0.as_secs() == 0 => {
                Err(invalid(spanned.span(), "must be longer than zero".to_string()))
            }
            Some(spanned) => Ok(spanned.into_inner().0.as_secs() as i64),
        }
    };
    let share = |value: Option<Spanned<f64>>, default: f32| -> Result<f32, ConfigError> {
        match value {
            None => Ok(default),
            Some(spanned) if !(0.0..=1.0).contains(spanned.get_ref()) => {
                Err(invalid(spanned.span(), "must be between 0 and 1".to_string()))
            }
            Some(spanned) => Ok(spanned.into_inner() as f32),
        }
    };
    let brute_force_below = match raw.brute_force_below {
        None => defaults.brute_force_below,
        Some(spanned) if *spanned.get_ref() < 0 => {
            return Err(invalid(spanned.span(), "must not be negative".to_string()));
        }
        Some(spanned) => spanned.into_inner() as usize,
    };
    Ok(Settings {
        span_seconds: seconds(raw.window, defaults.span_seconds)?,
        close_after_seconds: seconds(raw.close_after, defaults.close_after_seconds)?,
        near_copy: share(raw.near_copy, defaults.near_copy)?,
        rewrite: share(raw.rewrite, defaults.rewrite)?,
        late_penalty: share(raw.late_penalty, defaults.late_penalty)?,
        headline_relief: share(raw.headline_relief, defaults.headline_relief)?,
        same_source_rewrite: share(raw.same_source_rewrite, defaults.same_source_rewrite)?,
        same_source_gap_seconds: seconds(raw.same_source_gap, defaults.same_source_gap_seconds)?,
        fact_tolerance: f64::from(share(raw.fact_tolerance, defaults.fact_tolerance as f32)?),
        brute_force_below,
    })
}
