//! A warning that can repeat thousands of times a second, written at most once per interval
//! with the count of the ones left out (accept failing on a full descriptor table once wrote
//! 4.7 million identical lines, 646 MB of log, in 10 s).

use crate::held::Held;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub(crate) struct Repeats {
    every: Duration,
    /// When one was last written, and how many were left out since.
    last: Mutex<(Option<Instant>, u64)>,
}

impl Repeats {
    pub(crate) const fn every(every: Duration) -> Repeats {
        Repeats {
            every,
            last: Mutex::new((None, 0)),
        }
    }

    /// `Some(left out since the last one written)` when this one is to be written.
    pub(crate) fn due(&self, now: Instant) -> Option<u64> {
        let mut last = self.last.held();
        let (written, left_out) = *last;
        if written.is_some_and(|at| now.saturating_duration_since(at) < self.every) {
            last.1 = left_out.saturating_add(1);
            return None;
        }
        *last = (Some(now), 0);
        Some(left_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_interval_with_a_count() {
        let repeats = Repeats::every(Duration::from_secs(10));
        let t = Instant::now();
        assert_eq!(repeats.due(t), Some(0));
        for i in 1..=1000 {
            assert_eq!(repeats.due(t + Duration::from_millis(i)), None);
        }
        assert_eq!(repeats.due(t + Duration::from_secs(10)), Some(1000));
        assert_eq!(repeats.due(t + Duration::from_secs(11)), None);
    }
}
