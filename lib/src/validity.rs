//! Time: certificate lifetimes (`--days 365`, `--duration 8760h`, `1y`, `30d`), dates
//! (`--not-after 2027-06-01`), and how they are printed.

use jiff::Span;
/// A point in time (`--at`, `--not-before`, `--not-after`).
pub use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::error::{Error, Result};
use crate::kubeadm::release::Residual;

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

/// A moment in UTC, to the second, from 0000 to the end of 9999: certificates' times reach
/// `99991231235959Z` (RFC 5280's "no well-defined expiration"), past the last instant jiff's
/// `Timestamp` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment(i64);

impl Moment {
    /// Seconds since the epoch.
    pub fn as_second(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_time(self.0))
    }
}

/// Parses a date or timestamp: `2027-06-01` (midnight UTC), `2027-06-01T12:00:00Z`, or `now`.
pub fn parse_date(text: &str) -> std::result::Result<Moment, String> {
    let t = text.trim();
    if t == "now" {
        return Ok(Moment(now()));
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(Moment(ts.as_second()));
    }
    // A date (midnight UTC), or a UTC time past jiff's last Timestamp (9999-12-30T22:00:00Z).
    let civil = match t.strip_suffix('Z') {
        Some(time) => time.parse::<jiff::civil::DateTime>().ok(),
        None => t.parse::<Date>().ok().map(|d| d.to_datetime(jiff::civil::Time::midnight())),
    };
    if let Some(secs) = civil.and_then(seconds_of) {
        return Ok(Moment(secs));
    }
    Err(format!("invalid date '{}': use YYYY-MM-DD or RFC 3339 (2027-06-01T00:00:00Z)", crate::term::sanitize(text)))
}

/// Seconds since the epoch of a civil time read as UTC.
fn seconds_of(dt: jiff::civil::DateTime) -> Option<i64> {
    let days = i64::from(dt.date().since(Date::constant(1970, 1, 1)).ok()?.get_days());
    let time = i64::from(dt.hour()) * 3600 + i64::from(dt.minute()) * 60 + i64::from(dt.second());
    days.checked_mul(DAY)?.checked_add(time)
}

/// The civil UTC time of `secs` seconds since the epoch, in 0000–9999.
fn civil(secs: i64) -> Option<jiff::civil::DateTime> {
    let date = Date::constant(1970, 1, 1).checked_add(Span::new().try_days(secs.div_euclid(DAY)).ok()?).ok()?;
    let rem = secs.rem_euclid(DAY);
    let time = jiff::civil::Time::new(
        i8::try_from(rem / 3600).ok()?,
        i8::try_from(rem % 3600 / 60).ok()?,
        i8::try_from(rem % 60).ok()?,
        0,
    )
    .ok()?;
    Some(date.to_datetime(time))
}

/// `2027-11-23T13:19:56Z` (through `9999-12-31T23:59:59Z`).
pub fn format_time(secs: i64) -> String {
    civil(secs).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| secs.to_string())
}

/// `Nov 23, 2027 13:19 UTC`, the form `kubeadm certs check-expiration` prints.
pub fn format_kubeadm(secs: i64) -> String {
    civil(secs).map(|t| t.strftime("%b %d, %Y %H:%M UTC").to_string()).unwrap_or_else(|| secs.to_string())
}

/// Time left until a NotAfter, worded as `kubeadm certs check-expiration` words it in the
/// release whose style is `style` (apimachinery `pkg/util/duration`, docs/kubeadm.md section 7):
/// below -1 s `<invalid>`, between -1 s and 0 `0s`.
pub fn format_residual(secs: i64, style: Residual) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let secs = secs.max(0);
    match style {
        Residual::Short => short_human(secs),
        Residual::Human => human(secs),
    }
}

/// `ShortHumanDuration`: the largest whole unit only.
fn short_human(secs: i64) -> String {
    let (mins, hours) = (secs / 60, secs / 3600);
    if secs < 60 {
        format!("{secs}s")
    } else if mins < 60 {
        format!("{mins}m")
    } else if hours < 24 {
        format!("{hours}h")
    } else if hours < 24 * 365 {
        format!("{}d", hours / 24)
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

/// `HumanDuration`: two or three significant figures, a second unit where the first is small.
fn human(secs: i64) -> String {
    let (mins, hours) = (secs / 60, secs / 3600);
    let (days, years) = (hours / 24, hours / 24 / 365);
    let pair = |big: i64, a: &str, small: i64, b: &str| {
        if small == 0 { format!("{big}{a}") } else { format!("{big}{a}{small}{b}") }
    };
    if secs < 120 {
        format!("{secs}s")
    } else if mins < 10 {
        pair(mins, "m", secs % 60, "s")
    } else if mins < 180 {
        format!("{mins}m")
    } else if hours < 8 {
        pair(hours, "h", mins % 60, "m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        pair(days, "d", hours % 24, "h")
    } else if hours < 24 * 365 * 2 {
        format!("{days}d")
    } else if hours < 24 * 365 * 8 {
        pair(years, "y", days % 365, "d")
    } else {
        format!("{years}y")
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
        // RFC 5280's "no well-defined expiration", past jiff's last Timestamp.
        assert_eq!(format_time(LATEST), "9999-12-31T23:59:59Z");
        assert_eq!(parse_date("9999-12-31T23:59:59Z").map(Moment::as_second), Ok(LATEST));
        assert_eq!(parse_date("9999-12-31").map(Moment::as_second), Ok(LATEST - DAY + 1));
        assert!(parse_date("10000-01-01").is_err() && parse_date("2027-02-30").is_err());
        for secs in [0, 1_811_808_000, 951_782_400, LATEST] {
            assert_eq!(parse_date(&format_time(secs)).map(Moment::as_second), Ok(secs), "{secs}");
        }
    }

    #[test]
    fn residuals_as_each_release_words_them() {
        // (seconds, ShortHumanDuration, HumanDuration), from apimachinery's duration.go cases.
        let h = 3600;
        let cases = [
            (-2, "<invalid>", "<invalid>"),
            (-1, "0s", "0s"),
            (59, "59s", "59s"),
            (119, "1m", "119s"),
            (5 * 60 + 30, "5m", "5m30s"),
            (9 * 60, "9m", "9m"),
            (179 * 60, "2h", "179m"),
            (3 * h + 20 * 60, "3h", "3h20m"),
            (7 * h, "7h", "7h"),
            (47 * h, "1d", "47h"),
            (6 * DAY + 4 * h, "6d", "6d4h"),
            (364 * DAY + 5, "364d", "364d"),
            (400 * DAY, "1y", "400d"),
            (2 * 365 * DAY + 327 * DAY, "2y", "2y327d"),
            (3 * 365 * DAY, "3y", "3y"),
            (3650 * DAY, "10y", "10y"),
        ];
        for (secs, short, human) in cases {
            assert_eq!(format_residual(secs, Residual::Short), short, "{secs} s, short");
            assert_eq!(format_residual(secs, Residual::Human), human, "{secs} s, human");
        }
    }
}
