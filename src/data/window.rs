//! The time window a data command looks at, from the flags people type:
//! `--day 2026-12-01`, `--last 6h`, `--from ... --to ...`, read in the time
//! zone of `--tz`, the fleet file's `timezone`, or the machine's.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ZonedDateTime};

/// A half-open interval of time, and the zone it is shown in.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub from: Timestamp,
    pub to: Timestamp,
    pub tz: TimeZone,
}

/// The flags that choose a window; at most one way of choosing is given.
#[derive(Debug, Clone, Default)]
pub struct Choice<'a> {
    pub day: Option<&'a str>,
    pub last: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// The time zone named by `--tz` or the fleet file, else the machine's.
pub fn zone(name: Option<&str>) -> Result<TimeZone, String> {
    match name {
        Some(name) => TimeZone::get(name).map_err(|e| format!("unknown time zone `{name}`: {e}")),
        None => Ok(TimeZone::system()),
    }
}

/// Resolves the flags at `now`; without any, the window is today so far.
pub fn resolve(choice: &Choice<'_>, tz: TimeZone, now: Timestamp) -> Result<Window, String> {
    let ranged = choice.from.is_some() || choice.to.is_some();
    let ways = [choice.day.is_some(), choice.last.is_some(), ranged]
        .iter()
        .filter(|w| **w)
        .count();
    if ways > 1 {
        return Err("choose the time with one of --day, --last, or --from/--to".into());
    }

    let (from, to) = if let Some(day) = choice.day {
        day_bounds(parse_date(day, "--day")?, &tz)?
    } else if let Some(last) = choice.last {
        let span: Span = last
            .parse()
            .map_err(|e| format!("--last `{last}`: {e} (write e.g. 6h, 90m, 2d)"))?;
        let zoned = now.to_zoned_datetime(tz.clone());
        let start = zoned
            .checked_sub(span)
            .map_err(|e| format!("--last `{last}`: {e}"))?;
        (start.timestamp(), now)
    } else if ranged {
        let from = choice.from.map(|f| instant(f, "--from", &tz)).transpose()?;
        let to = choice.to.map(|t| instant(t, "--to", &tz)).transpose()?;
        (from.unwrap_or(Timestamp::UNIX_EPOCH), to.unwrap_or(now))
    } else {
        let today = now.to_zoned_datetime(tz.clone()).date();
        (day_bounds(today, &tz)?.0, now)
    };

    if from >= to {
        return Err(format!("the window is empty: {from} is not before {to}"));
    }
    Ok(Window { from, to, tz })
}

fn parse_date(text: &str, flag: &str) -> Result<Date, String> {
    text.parse()
        .map_err(|e| format!("{flag} `{text}`: {e} (write e.g. 2026-12-01)"))
}

/// Midnight to midnight of `date` in `tz` (23 or 25 hours on DST days).
fn day_bounds(date: Date, tz: &TimeZone) -> Result<(Timestamp, Timestamp), String> {
    let start = date
        .to_zoned_datetime(tz.clone())
        .map_err(|e| e.to_string())?;
    let end = start.tomorrow().map_err(|e| e.to_string())?;
    Ok((start.timestamp(), end.timestamp()))
}

/// An instant: RFC 3339 with an offset, or a civil date-time or date in
/// `tz` (`2026-12-01 08:00`, `2026-12-01`).
fn instant(text: &str, flag: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(z) = text.parse::<ZonedDateTime>() {
        return Ok(z.timestamp());
    }
    let civil = text
        .parse::<DateTime>()
        .or_else(|_| text.parse::<Date>().map(|d| d.to_datetime(jiff::civil::Time::midnight())))
        .map_err(|_| format!("{flag} `{text}`: write a date, a date and time, or RFC 3339 (2026-12-01, 2026-12-01 08:00, 2026-12-01T08:00:00Z)"))?;
    civil
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| format!("{flag} `{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn window(choice: Choice<'_>, tz: &str) -> Result<Window, String> {
        resolve(
            &choice,
            TimeZone::get(tz).unwrap(),
            at("2026-12-03T15:30:00Z"),
        )
    }

    #[test]
    fn a_day_is_local_midnight_to_midnight() {
        let w = window(
            Choice {
                day: Some("2026-12-01"),
                ..Choice::default()
            },
            "Europe/Amsterdam",
        )
        .unwrap();
        assert_eq!(w.from, at("2026-11-30T23:00:00Z"));
        assert_eq!(w.to, at("2026-12-01T23:00:00Z"));
    }

    #[test]
    fn a_day_of_daylight_saving_change_has_its_true_length() {
        let w = window(
            Choice {
                day: Some("2026-03-29"),
                ..Choice::default()
            },
            "Europe/Amsterdam",
        )
        .unwrap();
        assert_eq!(w.to.duration_since(w.from).as_hours(), 23);
    }

    #[test]
    fn last_and_ranges() {
        let w = window(
            Choice {
                last: Some("6h"),
                ..Choice::default()
            },
            "UTC",
        )
        .unwrap();
        assert_eq!(
            (w.from, w.to),
            (at("2026-12-03T09:30:00Z"), at("2026-12-03T15:30:00Z"))
        );

        let choice = Choice {
            from: Some("2026-12-01 08:00"),
            to: Some("2026-12-01T12:00:00Z"),
            ..Choice::default()
        };
        let w = window(choice, "Europe/Amsterdam").unwrap();
        assert_eq!(
            (w.from, w.to),
            (at("2026-12-01T07:00:00Z"), at("2026-12-01T12:00:00Z"))
        );
    }

    #[test]
    fn without_flags_it_is_today_so_far() {
        let w = window(Choice::default(), "UTC").unwrap();
        assert_eq!(
            (w.from, w.to),
            (at("2026-12-03T00:00:00Z"), at("2026-12-03T15:30:00Z"))
        );
    }

    #[test]
    fn mistakes_are_explained() {
        let both = window(
            Choice {
                day: Some("2026-12-01"),
                last: Some("6h"),
                ..Choice::default()
            },
            "UTC",
        );
        assert!(both.unwrap_err().contains("one of --day"));
        let bad_day = window(
            Choice {
                day: Some("1st of December"),
                ..Choice::default()
            },
            "UTC",
        );
        assert!(bad_day.unwrap_err().contains("2026-12-01"));
        let backwards = window(
            Choice {
                from: Some("2026-12-02"),
                to: Some("2026-12-01"),
                ..Choice::default()
            },
            "UTC",
        );
        assert!(backwards.unwrap_err().contains("empty"));
        assert!(zone(Some("Mars/Olympus")).is_err());
    }
}
