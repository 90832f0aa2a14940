//! Time: certificate lifetimes (`--days 365`, `--duration 8760h`, `1y`, `30d`), dates
//! (`--not-after 2027-06-01`), and how they are printed.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

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
pub fn lifetime(days: Option<i64>, duration: Option<&str>, default_days: i64, from: i64) -> Result<i64> {
    let secs = match (days, duration) {
        (Some(_), Some(_)) => return Err(Error::usage("give --days or --duration, not both")),
        (Some(d), None) => {
            if d <= 0 {
                return Err(Error::usage(format!("--days must be at least 1 (got {d})")));
            }
            d.checked_mul(DAY).ok_or_else(|| Error::usage("--days is too large"))?
        }
        (None, Some(text)) => parse_duration(text, from)?,
        (None, None) => default_days * DAY,
    };
    if from.checked_add(secs).is_none_or(|end| end > LATEST) {
        return Err(Error::usage("the validity would end after the year 9999"));
    }
    Ok(secs)
}

/// Parses a duration: `8760h`, `1y`, `30d`, `90m`, `1y6mo`, `2 years` (jiff's friendly format).
pub fn parse_duration(text: &str, from: i64) -> Result<i64> {
    let bad = || Error::usage(format!("invalid duration '{text}': use e.g. 8760h, 365d, 1y, 90m"));
    let span: Span = text.trim().parse().map_err(|_| bad())?;
    let start = Timestamp::from_second(from).map_err(|_| bad())?.to_zoned(TimeZone::UTC);
    let end = start.checked_add(span).map_err(|_| Error::usage(format!("duration '{text}' is too large")))?;
    let secs = end.timestamp().as_second() - from;
    if secs <= 0 {
        return Err(Error::usage(format!("duration '{text}' must be positive")));
    }
    Ok(secs)
}

/// Parses a date or timestamp: `2027-06-01` (midnight UTC), `2027-06-01T12:00:00Z`, or `now`.
pub fn parse_date(text: &str) -> Result<i64> {
    let t = text.trim();
    if t == "now" {
        return Ok(now());
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts.as_second());
    }
    if let Ok(date) = t.parse::<Date>()
        && let Ok(z) = date.to_zoned(TimeZone::UTC)
    {
        return Ok(z.timestamp().as_second());
    }
    Err(Error::usage(format!("invalid date '{text}': use YYYY-MM-DD or RFC 3339 (2027-06-01T00:00:00Z)")))
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
        assert_eq!(lifetime(None, Some("8760h"), 1, T0).ok(), Some(365 * DAY));
        assert_eq!(lifetime(None, Some("30d"), 1, T0).ok(), Some(30 * DAY));
        assert_eq!(lifetime(None, None, 3650, T0).ok(), Some(3650 * DAY));
        assert!(lifetime(None, Some("1y"), 1, T0).is_ok_and(|s| s == 365 * DAY || s == 366 * DAY));
        for bad in
            [lifetime(Some(0), None, 1, T0), lifetime(Some(-1), None, 1, T0), lifetime(Some(10_000_000), None, 1, T0)]
        {
            assert_eq!(bad.expect_err("bad").exit_code(), 2);
        }
        assert!(lifetime(None, Some("soon"), 1, T0).is_err());
        assert!(lifetime(None, Some("-5d"), 1, T0).is_err());
        assert!(lifetime(Some(1), Some("1d"), 1, T0).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2027-06-01").ok(), Some(1_811_808_000));
        assert_eq!(parse_date("2027-06-01T00:00:00Z").ok(), Some(1_811_808_000));
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
