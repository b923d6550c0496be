//! How large the numbers that come from outside may be: durations and counts in a profile, an
//! import, the window's forms and settings, a CLI flag or a socket request. Each is checked
//! where it enters, and the error names the setting and its range; past that point the core
//! can trust them (and [`crate::time`] keeps even an unchecked one from panicking).

/// The longest lifetime Tokentray takes a token to have (a server stating ten years is
/// believed for a year and a day, then asked again): also the longest warning threshold,
/// renewal window, assumed lifetime and `--min-valid`.
pub const MAX_LIFETIME_SECS: u64 = 366 * 86_400;
/// The longest refresh margin (a day).
pub const MAX_MARGIN_SECS: u64 = 86_400;
/// The most warning thresholds an account or the app has.
pub const MAX_THRESHOLDS: usize = 10;
/// The longest a server's `Retry-After` is obeyed: a day, then it is asked again.
pub const MAX_RETRY_AFTER_SECS: u64 = 86_400;
/// The longest a command (a `command` grant, a renewal) may run.
pub const MAX_COMMAND_SECS: u64 = 3_600;
/// History rows in one page.
pub const MAX_HISTORY_PAGE: i64 = 10_000;

/// A number of seconds within `min..=max`, or an error naming `setting` and its range.
pub fn seconds(setting: &str, value: u64, min: u64, max: u64) -> Result<u64, String> {
    if (min..=max).contains(&value) {
        return Ok(value);
    }
    Err(format!(
        "{setting} is {value} s; it must be from {} to {}",
        words(min),
        words(max)
    ))
}

/// Warning thresholds: at most [`MAX_THRESHOLDS`], each from 1 s to [`MAX_LIFETIME_SECS`].
pub fn thresholds(setting: &str, values: &[u64]) -> Result<(), String> {
    if values.len() > MAX_THRESHOLDS {
        return Err(format!(
            "{setting} has {} thresholds; at most {MAX_THRESHOLDS}",
            values.len()
        ));
    }
    for &v in values {
        seconds(setting, v, 1, MAX_LIFETIME_SECS)?;
    }
    Ok(())
}

/// `86400` → `86400 s (1 day)`: the range in a message a person reads.
fn words(secs: u64) -> String {
    match secs {
        0 => "0 s".into(),
        s if s % 86_400 == 0 => format!("{s} s ({} days)", s / 86_400),
        s if s % 3_600 == 0 => format!("{s} s ({} h)", s / 3_600),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_named_with_their_range() {
        assert_eq!(seconds("x", 5, 0, 10), Ok(5));
        let e = seconds(
            "renew_before_secs",
            99_999_999_999_999_999,
            0,
            MAX_LIFETIME_SECS,
        )
        .unwrap_err();
        assert!(
            e.contains("renew_before_secs") && e.contains("366 days"),
            "{e}"
        );
        assert!(thresholds("warn_before_secs", &[0]).is_err());
        assert!(thresholds("warn_before_secs", &[60; 11]).is_err());
        assert!(thresholds("warn_before_secs", &[604_800, 86_400, 3_600]).is_ok());
    }
}
