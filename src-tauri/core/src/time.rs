//! Time arithmetic that cannot panic. chrono's `DateTime + TimeDelta`, `TimeDelta::seconds`
//! and their kin panic on overflow, and the numbers they are given come from outside (a flag,
//! a profile, a server's answer): one absurd value once panicked under an account's lock and
//! took every account down. In the core these forms are refused by the lints
//! (`clippy::arithmetic_side_effects` in `lib.rs`, the constructors in `clippy.toml`); time is
//! moved with the functions below, which saturate at the ends of time instead.

use chrono::{DateTime, TimeDelta, Utc};

/// `secs` seconds, or the longest span chrono holds.
pub fn secs(secs: u64) -> TimeDelta {
    i64::try_from(secs)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .unwrap_or(TimeDelta::MAX)
}

/// `secs` seconds, either way, saturating.
pub fn signed_secs(secs: i64) -> TimeDelta {
    TimeDelta::try_seconds(secs).unwrap_or(if secs < 0 {
        TimeDelta::MIN
    } else {
        TimeDelta::MAX
    })
}

/// A `std` duration as chrono's, saturating (a `Retry-After` of a billion years).
pub fn from_std(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// `at + by`, at most the end of time.
pub fn after(at: DateTime<Utc>, by: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(by)
        .unwrap_or(if by < TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// `at - by`, at least the start of time.
pub fn before(at: DateTime<Utc>, by: TimeDelta) -> DateTime<Utc> {
    at.checked_sub_signed(by)
        .unwrap_or(if by < TimeDelta::zero() {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

/// `later - earlier` (negative when it is earlier). Any two instants chrono holds are less
/// apart than the longest span, so this never saturates in practice; it cannot panic either.
pub fn between(earlier: DateTime<Utc>, later: DateTime<Utc>) -> TimeDelta {
    later.signed_duration_since(earlier)
}

/// `a + b`, saturating.
pub fn sum(a: TimeDelta, b: TimeDelta) -> TimeDelta {
    a.checked_add(&b).unwrap_or(if b < TimeDelta::zero() {
        TimeDelta::MIN
    } else {
        TimeDelta::MAX
    })
}

/// `a - b`, saturating.
pub fn difference(a: TimeDelta, b: TimeDelta) -> TimeDelta {
    a.checked_sub(&b).unwrap_or(if b < TimeDelta::zero() {
        TimeDelta::MAX
    } else {
        TimeDelta::MIN
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ends_of_time_hold_instead_of_panicking() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(secs(u64::MAX), TimeDelta::MAX);
        assert_eq!(secs(90), TimeDelta::try_seconds(90).unwrap());
        assert_eq!(signed_secs(i64::MIN), TimeDelta::MIN);
        assert_eq!(
            after(now, secs(99_999_999_999_999)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(after(now, TimeDelta::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(before(now, TimeDelta::MAX), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            before(now, secs(60)),
            now - TimeDelta::try_seconds(60).unwrap()
        );
        assert_eq!(
            from_std(std::time::Duration::from_secs(u64::MAX)),
            TimeDelta::MAX
        );
        assert_eq!(sum(TimeDelta::MAX, TimeDelta::MAX), TimeDelta::MAX);
        assert_eq!(difference(TimeDelta::MIN, TimeDelta::MAX), TimeDelta::MIN);
        let span = between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        assert!(span > TimeDelta::zero());
    }
}
