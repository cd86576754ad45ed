//! Time: milliseconds since the Unix epoch, from a clock the tests can set.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The system time in milliseconds.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The server's clock: the system time, or a value a test sets.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that stays at `ms` until [`Clock::set`].
    pub fn fixed(ms: i64) -> Clock {
        Clock {
            fixed: Some(Arc::new(AtomicI64::new(ms))),
        }
    }

    /// Moves a fixed clock (no effect on the system clock).
    pub fn set(&self, ms: i64) {
        if let Some(f) = &self.fixed {
            f.store(ms, Ordering::SeqCst);
        }
    }

    /// Now, in milliseconds.
    pub fn now(&self) -> i64 {
        match &self.fixed {
            Some(f) => f.load(Ordering::SeqCst),
            None => system_now(),
        }
    }
}

/// Parses a duration such as `24h`, `90d`, `15m`, `30s` or `500ms` into milliseconds;
/// `what` names the option in the error.
pub fn parse_duration(text: &str, what: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: i64 = number.parse().map_err(|_| {
        format!("{what}: expected a duration such as 24h, 90d, 15m or 30s, found \"{text}\"")
    })?;
    let factor = match unit {
        "ms" => 1,
        "s" | "" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => DAY_MS,
        _ => {
            return Err(format!(
                "{what}: unknown unit \"{unit}\" in \"{text}\" (use ms, s, m, h or d)"
            ))
        }
    };
    n.checked_mul(factor)
        .filter(|ms| *ms > 0)
        .ok_or_else(|| format!("{what}: \"{text}\" must be more than zero and not absurdly long"))
}

/// RFC 3339 text for a time in milliseconds (seconds precision, UTC).
pub fn rfc3339(ms: i64) -> String {
    veto_core::Timestamp::from_millis(ms).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("24h", "--stale-after"), Ok(86_400_000));
        assert_eq!(parse_duration("90d", "x"), Ok(90 * DAY_MS));
        assert_eq!(parse_duration("15m", "x"), Ok(900_000));
        assert_eq!(parse_duration("30", "x"), Ok(30_000));
        assert_eq!(parse_duration("250ms", "x"), Ok(250));
        assert_eq!(
            parse_duration("2w", "--stale-after").unwrap_err(),
            "--stale-after: unknown unit \"w\" in \"2w\" (use ms, s, m, h or d)"
        );
        assert_eq!(
            parse_duration("h", "--retention").unwrap_err(),
            "--retention: expected a duration such as 24h, 90d, 15m or 30s, found \"h\""
        );
        assert!(parse_duration("0s", "x").is_err());
    }

    #[test]
    fn a_fixed_clock_moves_only_when_set() {
        let c = Clock::fixed(5);
        assert_eq!(c.now(), 5);
        c.set(9);
        assert_eq!(c.now(), 9);
        assert!(Clock::system().now() > 1_700_000_000_000);
    }
}
