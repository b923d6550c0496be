//! Durations as a person reads them, the one way the product writes them: the CLI, the
//! tray's summary, notifications, and the window (whose countdown formatter is checked
//! against [`EXAMPLES`] in the exported contracts).

use crate::i18n::{self, Lang};
use chrono::{DateTime, Utc};

/// `3d 4h`, `2h 05m`, `4m 12s`, `12s`: the two largest units, enough to see at a glance.
pub fn human(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// `in 4m 12s`, `3s ago`, or `-` when there is no time.
pub fn relative(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else { return "-".into() };
    let secs = crate::time::between(now, at).num_seconds();
    if secs >= 0 {
        format!("in {}", human(secs as u64))
    } else {
        format!("{} ago", human(secs.unsigned_abs()))
    }
}

/// [`human`] in `lang`'s words: "3 д 4 ч".
pub fn human_in(lang: Lang, secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    let (id, args) = if d > 0 {
        (
            "duration-days",
            vec![("d", d.to_string()), ("h", h.to_string())],
        )
    } else if h > 0 {
        (
            "duration-hours",
            vec![("h", h.to_string()), ("m", format!("{m:02}"))],
        )
    } else if m > 0 {
        (
            "duration-minutes",
            vec![("m", m.to_string()), ("s", format!("{s:02}"))],
        )
    } else {
        ("duration-seconds", vec![("s", s.to_string())])
    };
    let args: Vec<_> = args.iter().map(|(k, v)| (*k, i18n::s(v))).collect();
    i18n::text(lang, id, &args)
}

/// [`relative`] in `lang`'s words.
pub fn relative_in(lang: Lang, at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else { return "-".into() };
    let secs = crate::time::between(now, at).num_seconds();
    let (id, left) = if secs >= 0 {
        ("relative-in", human_in(lang, secs as u64))
    } else {
        ("relative-ago", human_in(lang, secs.unsigned_abs()))
    };
    i18n::text(lang, id, &[("left", i18n::s(&left))])
}

/// Seconds and how [`human`] writes them, exported for the window's own formatter to agree.
pub const EXAMPLES: &[u64] = &[
    0,
    9,
    59,
    60,
    61,
    599,
    3_599,
    3_600,
    3_660,
    86_399,
    86_400,
    90_061,
    2 * 86_400 + 5 * 3_600,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_writes_durations_its_way_and_english_as_human_does() {
        for &secs in EXAMPLES {
            assert_eq!(human_in(Lang::En, secs), human(secs));
        }
        assert_eq!(human_in(Lang::Ru, 3 * 86_400 + 4 * 3_600), "3 д 4 ч");
        assert_eq!(human_in(Lang::Nb, 2 * 3_600 + 5 * 60), "2 t 05 min");
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let later = Some(now + chrono::Duration::seconds(12));
        assert_eq!(relative_in(Lang::En, later, now), relative(later, now));
        assert_eq!(relative_in(Lang::Ru, later, now), "через 12 с");
        assert_eq!(
            relative_in(Lang::Nb, Some(now - chrono::Duration::seconds(12)), now),
            "for 12 s siden"
        );
    }

    #[test]
    fn two_largest_units() {
        let written: Vec<String> = EXAMPLES.iter().map(|&s| human(s)).collect();
        assert_eq!(
            written,
            [
                "0s", "9s", "59s", "1m 00s", "1m 01s", "9m 59s", "59m 59s", "1h 00m", "1h 01m",
                "23h 59m", "1d 0h", "1d 1h", "2d 5h"
            ]
        );
        let t = DateTime::UNIX_EPOCH;
        assert_eq!(
            relative(Some(t + chrono::Duration::seconds(90)), t),
            "in 1m 30s"
        );
        assert_eq!(
            relative(Some(t - chrono::Duration::seconds(3)), t),
            "3s ago"
        );
        assert_eq!(relative(None, t), "-");
    }
}
