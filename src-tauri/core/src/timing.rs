//! When to refresh: pure functions of times passed in, so they are tested without waiting.

use chrono::{DateTime, Duration, Utc};

/// Default refresh margin: refresh at least this long before expiry.
pub const DEFAULT_MARGIN: Duration = Duration::milliseconds(5 * 60_000);
/// The lifetime assumed for a token whose server states none (and that is no JWT with
/// `exp`): the common 15 minutes.
pub const DEFAULT_LIFETIME: Duration = Duration::milliseconds(15 * 60_000);

/// Due time = expiry − lead, lead = max(margin, 25% of lifetime) capped at half the lifetime,
/// minus a jitter of up to 10% of the lead (`jitter` in [0, 1)) so that many accounts with the
/// same lifetime do not refresh together. A 30 s token is refreshed after about 15 s; a 1 h
/// token about 15 min before it expires.
pub fn due_at(
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    margin: Duration,
    jitter: f64,
) -> DateTime<Utc> {
    let lifetime = crate::time::between(issued_at, expires_at).max(Duration::zero());
    let lead = margin.max(lifetime / 4).min(lifetime / 2);
    let jitter_ms = (lead.num_milliseconds() as f64 * 0.1 * jitter.clamp(0.0, 1.0)) as i64;
    let lead = crate::time::sum(lead, Duration::milliseconds(jitter_ms));
    crate::time::before(expires_at, lead)
}

/// Backoff after `failures` consecutive transient failures: capped exponential (1 s, 2 s,
/// 4 s, ... up to 5 min) with full jitter (`jitter` in [0, 1)), never sooner than the server's
/// `Retry-After`.
pub fn backoff(
    failures: u32,
    jitter: f64,
    retry_after: Option<std::time::Duration>,
) -> std::time::Duration {
    const BASE_MS: u64 = 1_000;
    const CAP_MS: u64 = 300_000;
    let ceiling = BASE_MS
        .saturating_mul(1u64 << failures.saturating_sub(1).min(20))
        .min(CAP_MS);
    // Full jitter, but never a busy loop: at least the base.
    let ms = ((ceiling as f64) * jitter.clamp(0.0, 1.0)) as u64;
    let wait = std::time::Duration::from_millis(ms.max(BASE_MS));
    retry_after.map_or(wait, |r| wait.max(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn due_times_follow_the_lead_rule() {
        let s = Duration::seconds;
        // 30 s token: the margin (5 min) is capped at half the lifetime.
        assert_eq!(
            due_at(t0(), t0() + s(30), DEFAULT_MARGIN, 0.0),
            t0() + s(15)
        );
        // 1 h token: 25% of the lifetime (15 min) beats the margin.
        assert_eq!(
            due_at(t0(), t0() + s(3600), DEFAULT_MARGIN, 0.0),
            t0() + s(2700)
        );
        // 10 min token: the margin (5 min) is exactly half.
        assert_eq!(
            due_at(t0(), t0() + s(600), DEFAULT_MARGIN, 0.0),
            t0() + s(300)
        );
        // 2 h token with the margin beating 25%? No: 30 min > 5 min.
        assert_eq!(
            due_at(t0(), t0() + s(7200), DEFAULT_MARGIN, 0.0),
            t0() + s(5400)
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent_of_the_lead() {
        let exp = t0() + Duration::seconds(3600);
        let lead = Duration::seconds(900);
        for i in 0..100 {
            let due = due_at(t0(), exp, DEFAULT_MARGIN, i as f64 / 100.0);
            assert!(due <= exp - lead && due >= exp - lead - lead / 10, "{due}");
        }
    }

    #[test]
    fn backoff_grows_to_the_cap_and_honours_retry_after() {
        let ceilings: Vec<u64> = (1..=12)
            .map(|n| backoff(n, 0.999_999, None).as_secs())
            .collect();
        assert_eq!(ceilings, [1, 1, 3, 7, 15, 31, 63, 127, 255, 299, 299, 299]);
        assert_eq!(backoff(3, 0.0, None).as_millis(), 1_000);
        let r = std::time::Duration::from_secs(42);
        assert_eq!(backoff(1, 0.5, Some(r)), r);
    }
}
