//! Time: certificate lifetimes (`--days 365`, `--duration 8760h`, `1y`, `30d`), dates
//! (`--not-after 2027-06-01`), and how they are printed.

use jiff::Span;
/// A point in time (`--at`, `--not-before`, `--not-after`).
pub use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::error::{Error, Result};

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// How far NotBefore is backdated for clock skew, as current kubeadm does.
pub const BACKDATE: i64 = 5 * 60;
/// The latest notAfter we write: the end of year 9999 (GeneralizedTime's limit).
const LATEST: i64 = 253_402_300_799;

/// Now, in seconds since the epoch.
pub fn now() -> i64 {
    Timestamp::now().as_second()
}

/// A lifetime in seconds from `--days` or `--duration` (one of them, or the default).
pub fn lifetime(days: Option<i64>, duration: Option<&Duration>, default_days: i64, from: i64) -> Result<i64> {
    let secs = match (days, duration) {
        (Some(_), Some(_)) => return Err(Error::usage("give --days or --duration, not both")),
        (Some(d), None) => {
            if d <= 0 {
                return Err(Error::usage(format!("--days must be at least 1 (got {d})")));
            }
            d.checked_mul(DAY).ok_or_else(|| Error::usage("--days is too large"))?
        }
        (None, Some(duration)) => duration.seconds_from(from)?,
        (None, None) => default_days * DAY,
    };
    if from.checked_add(secs).is_none_or(|end| end > LATEST) {
        return Err(Error::usage("the validity would end after the year 9999"));
    }
    Ok(secs)
}

/// A positive duration as given: `8760h`, `1y`, `30d`, `90m`, `1y6mo`, `2 years` (jiff's
/// friendly format). Calendar units count from the moment they are applied to.
#[derive(Clone, Debug)]
pub struct Duration {
    text: String,
    span: Span,
}

impl std::str::FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Duration, String> {
        let shown = crate::term::sanitize(text);
        let span: Span =
            text.trim().parse().map_err(|_| format!("invalid duration '{shown}': use e.g. 8760h, 365d, 1y, 90m"))?;
        if span.signum() <= 0 {
            return Err(format!("duration '{shown}' must be positive"));
        }
        Ok(Duration { text: text.trim().to_string(), span })
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::term::sanitize(&self.text))
    }
}

impl Duration {
    /// Its length in seconds, counted from `from` (a year from a leap day is 365 days).
    pub fn seconds_from(&self, from: i64) -> Result<i64> {
        let too_large = || Error::usage(format!("duration '{self}' is too large"));
        let start = Timestamp::from_second(from).map_err(|_| too_large())?.to_zoned(TimeZone::UTC);
        let end = start.checked_add(self.span).map_err(|_| too_large())?;
        Ok(end.timestamp().as_second() - from)
    }
}

/// Parses a network timeout: `5s`, `500ms`, `1m` (more than zero, at most ten minutes).
pub fn parse_timeout(text: &str) -> std::result::Result<std::time::Duration, String> {
    let shown = crate::term::sanitize(text);
    let d: jiff::SignedDuration =
        text.trim().parse().map_err(|_| format!("invalid timeout '{shown}': use e.g. 5s, 500ms, 1m"))?;
    let d = std::time::Duration::try_from(d).map_err(|_| format!("timeout '{shown}' must be positive"))?;
    if d.is_zero() || d > std::time::Duration::from_secs(600) {
        return Err(format!("timeout '{shown}' must be more than zero and at most 10m"));
    }
    Ok(d)
}

/// Parses a date or timestamp: `2027-06-01` (midnight UTC), `2027-06-01T12:00:00Z`, or `now`.
pub fn parse_date(text: &str) -> std::result::Result<Timestamp, String> {
    let t = text.trim();
    if t == "now" {
        return Ok(Timestamp::now());
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = t.parse::<Date>()
        && let Ok(z) = date.to_zoned(TimeZone::UTC)
    {
        return Ok(z.timestamp());
    }
    Err(format!("invalid date '{}': use YYYY-MM-DD or RFC 3339 (2027-06-01T00:00:00Z)", crate::term::sanitize(text)))
}

/// `2027-11-23T13:19:56Z`.
pub fn format_time(secs: i64) -> String {
    Timestamp::from_second(secs).map(|t| t.to_string()).unwrap_or_else(|_| secs.to_string())
}

/// `Nov 23, 2027 13:19 UTC`, the form `kubeadm certs check-expiration` prints.
pub fn format_kubeadm(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.strftime("%b %d, %Y %H:%M UTC").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// Time left in kubeadm's style: `364d`, `9y`, `5h`, `<invalid>` when past.
pub fn format_residual(secs: i64) -> String {
    if secs <= 0 {
        return "<invalid>".into();
    }
    let days = secs / DAY;
    if days >= 365 * 2 {
        format!("{}y", days / 365)
    } else if days >= 1 {
        format!("{days}d")
    } else if secs >= 3600 {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", (secs / 60).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_000_000; // 2026-11-18

    #[test]
    fn lifetimes() {
        assert_eq!(lifetime(Some(365), None, 1, T0).ok(), Some(365 * DAY));
        let d = |text: &str| text.parse::<Duration>().expect("valid");
        assert_eq!(lifetime(None, Some(&d("8760h")), 1, T0).ok(), Some(365 * DAY));
        assert_eq!(lifetime(None, Some(&d("30d")), 1, T0).ok(), Some(30 * DAY));
        assert_eq!(lifetime(None, None, 3650, T0).ok(), Some(3650 * DAY));
        assert!(lifetime(None, Some(&d("1y")), 1, T0).is_ok_and(|s| s == 365 * DAY || s == 366 * DAY));
        for bad in
            [lifetime(Some(0), None, 1, T0), lifetime(Some(-1), None, 1, T0), lifetime(Some(10_000_000), None, 1, T0)]
        {
            assert_eq!(bad.expect_err("bad").exit_code(), 2);
        }
        assert_eq!(
            "soon".parse::<Duration>().expect_err("bad"),
            "invalid duration 'soon': use e.g. 8760h, 365d, 1y, 90m"
        );
        assert_eq!("-5d".parse::<Duration>().expect_err("bad"), "duration '-5d' must be positive");
        assert!("0s".parse::<Duration>().is_err());
        assert!(lifetime(Some(1), Some(&d("1d")), 1, T0).is_err());
        assert!(lifetime(None, Some(&d("9000y")), 1, T0).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2027-06-01").map(|t| t.as_second()), Ok(1_811_808_000));
        assert_eq!(parse_date("2027-06-01T00:00:00Z").map(|t| t.as_second()), Ok(1_811_808_000));
        assert!(parse_date("June").is_err());
        assert_eq!(format_time(1_811_808_000), "2027-06-01T00:00:00Z");
        assert_eq!(format_kubeadm(1_811_808_000), "Jun 01, 2027 00:00 UTC");
    }

    #[test]
    fn residuals_like_kubeadm() {
        assert_eq!(format_residual(364 * DAY + 5), "364d");
        assert_eq!(format_residual(3650 * DAY), "10y");
        assert_eq!(format_residual(-1), "<invalid>");
        assert_eq!(format_residual(7200), "2h");
    }
}
