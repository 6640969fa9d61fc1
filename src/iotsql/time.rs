//! Date and time patterns for `time_to_epoch` and `parse_time`, with the
//! calendar arithmetic they need, hand-rolled to avoid a dependency.
//!
//! The two functions read patterns differently: `time_to_epoch` parses with
//! JDK 11 `DateTimeFormatter` patterns, `parse_time` formats with Joda-Time
//! ones. For the common letters they agree; this module implements those
//! letters, refuses the rest by name (so a rule that needs them fails loudly
//! instead of giving a wrong time), and knows fixed-offset zones only: a zone
//! region such as `America/Los_Angeles` needs the tz database, which is not
//! here.

use std::fmt::Write as _;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

const MS_PER_DAY: i64 = 86_400_000;

/// Which library's pattern language a pattern is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// JDK 11 `DateTimeFormatter`, for parsing (`time_to_epoch`).
    Jdk,
    /// Joda-Time `DateTimeFormat`, for formatting (`parse_time`).
    Joda,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Field(char, usize),
    Literal(String),
}

/// A zone with a fixed offset from UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zone {
    pub offset_seconds: i32,
    pub id: String,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            offset_seconds: 0,
            id: "UTC".into(),
        }
    }
}

/// Compiles a pattern, or names the part of it that is not supported.
pub(crate) fn compile(pattern: &str, dialect: Dialect) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            items.push(Item::Literal(quoted(&mut chars)));
        } else if c.is_ascii_alphabetic() {
            let mut count = 1;
            while chars.next_if_eq(&c).is_some() {
                count += 1;
            }
            check_letter(c, count, dialect)?;
            items.push(Item::Field(c, count));
        } else if dialect == Dialect::Jdk && "[]{}#".contains(c) {
            return Err(format!("`{c}` in a time pattern (optional sections)"));
        } else {
            items.push(Item::Literal(c.to_string()));
        }
    }
    Ok(items)
}

fn quoted(chars: &mut std::iter::Peekable<std::str::Chars>) -> String {
    let mut text = String::new();
    if chars.next_if_eq(&'\'').is_some() {
        return "'".into();
    }
    while let Some(c) = chars.next() {
        if c != '\'' {
            text.push(c);
        } else if chars.next_if_eq(&'\'').is_some() {
            text.push('\'');
        } else {
            break;
        }
    }
    text
}

fn check_letter(c: char, count: usize, dialect: Dialect) -> Result<(), String> {
    let ok = match (c, dialect) {
        ('y' | 'u', _) => count != 3,
        ('M', _) => count <= 4,
        ('d' | 'H' | 'h' | 'm' | 's', _) => count <= 2,
        ('S', _) => count <= 9,
        ('a', _) => count == 1,
        ('V', Dialect::Jdk) => count == 2,
        ('z', _) => count <= 4,
        ('Z', Dialect::Jdk) => count <= 3 || count == 5,
        ('X' | 'x', Dialect::Jdk) => count <= 3,
        ('Z', Dialect::Joda) => true,
        ('E', Dialect::Joda) => true,
        ('G', Dialect::Joda) => count <= 3,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let letters = c.to_string().repeat(count);
    let function = match dialect {
        Dialect::Jdk => "time_to_epoch",
        Dialect::Joda => "parse_time",
    };
    Err(format!("pattern letters `{letters}` in {function}"))
}

/// Reads a zone ID as IoT SQL accepts it: `UTC`, `GMT`, `Z`, or a fixed
/// offset, bare (`+01:00`) or after `UTC`/`GMT` (`UTC+01:00`).
pub(crate) fn zone(id: &str) -> Result<Zone, String> {
    let rest = ["UTC", "GMT", "UT"]
        .iter()
        .find_map(|prefix| id.strip_prefix(prefix))
        .unwrap_or(id);
    if rest.is_empty() || id == "Z" {
        return Ok(Zone::utc());
    }
    match offset(rest) {
        Some((seconds, len)) if len == rest.len() => Ok(Zone {
            offset_seconds: seconds,
            id: offset_text(seconds, true),
        }),
        _ => Err(format!(
            "time zone `{id}` (only UTC and fixed offsets are known)"
        )),
    }
}

/// Reads `+H`, `+HH`, `+HHMM`, `+HH:MM` or `+HH:MM:SS` at the start of
/// `s`, giving the offset in seconds and the bytes read.
fn offset(s: &str) -> Option<(i32, usize)> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = |from: usize, n: usize| -> Option<i32> {
        let part = s.get(from..from + n)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let hour_len = s[1..].bytes().take_while(u8::is_ascii_digit).count().min(2);
    let hours = digits(1, hour_len.max(1))?;
    let mut len = 1 + hour_len;
    let mut seconds = hours * 3600;
    for unit in [60, 1] {
        let colon = usize::from(s[len..].starts_with(':'));
        match digits(len + colon, 2) {
            Some(v) if v < 60 => {
                seconds += v * unit;
                len += colon + 2;
            }
            _ => break,
        }
    }
    (hours <= 18).then_some((sign * seconds, len))
}

fn offset_text(seconds: i32, colon: bool) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m) = (abs / 3600, abs % 3600 / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count from 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What a parse collected, before it is resolved to an instant.
#[derive(Default)]
struct Fields {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
    clock_hour: Option<u32>,
    pm: Option<bool>,
    minute: Option<u32>,
    second: Option<u32>,
    nano: Option<u32>,
    offset: Option<i32>,
}

/// The outcome of parsing text that the pattern could not explain.
pub(crate) enum ParseFailure {
    /// The text does not fit the pattern: `time_to_epoch` is `Undefined`.
    NoMatch,
    /// The text names something this module cannot resolve.
    Unsupported(String),
}

/// Parses `text` with a compiled JDK pattern to epoch milliseconds. As with
/// `DateTimeFormatter`, the whole text must match; a time left out is
/// midnight, a zone left out is UTC, and a day past the end of its month is
/// the month's last day (the "smart" resolver).
pub(crate) fn parse_epoch_ms(text: &str, items: &[Item]) -> Result<i64, ParseFailure> {
    let mut fields = Fields::default();
    let mut rest = text;
    for (i, item) in items.iter().enumerate() {
        let next_is_number = matches!(items.get(i + 1), Some(Item::Field(c, _)) if is_numeric(*c));
        rest = match item {
            Item::Literal(lit) => rest
                .strip_prefix(lit.as_str())
                .ok_or(ParseFailure::NoMatch)?,
            Item::Field(c, n) => parse_field(*c, *n, rest, next_is_number, &mut fields)?,
        };
    }
    if !rest.is_empty() {
        return Err(ParseFailure::NoMatch);
    }
    resolve(&fields).ok_or(ParseFailure::NoMatch)
}

fn is_numeric(c: char) -> bool {
    "yuMdHhmsS".contains(c)
}

fn parse_field<'t>(
    c: char,
    n: usize,
    text: &'t str,
    next_is_number: bool,
    f: &mut Fields,
) -> Result<&'t str, ParseFailure> {
    let no = ParseFailure::NoMatch;
    let fixed = |width: usize| (width, width);
    let (value, rest) = match c {
        'y' | 'u' if n == 2 => {
            let (v, rest) = digits(text, fixed(2)).ok_or(no)?;
            f.year = Some(2000 + i64::from(v));
            return Ok(rest);
        }
        'y' | 'u' => {
            let max = if next_is_number { n.max(4) } else { 9 };
            digits(text, (n, max)).ok_or(no)?
        }
        'M' if n >= 3 => {
            let (month, rest) = month_name(text, n == 3).ok_or(no)?;
            f.month = Some(month);
            return Ok(rest);
        }
        'S' => {
            let (v, rest) = digits(text, fixed(n)).ok_or(no)?;
            f.nano = Some(v * 10u32.pow(9 - n as u32));
            return Ok(rest);
        }
        'a' => return am_pm(text, f),
        'V' | 'z' | 'Z' | 'X' | 'x' => return zone_text(c, text, f),
        _ if n == 2 => digits(text, fixed(2)).ok_or(no)?,
        _ => digits(text, (1, 2)).ok_or(no)?,
    };
    let slot = match c {
        'y' | 'u' => {
            f.year = Some(i64::from(value));
            return Ok(rest);
        }
        'M' => &mut f.month,
        'd' => &mut f.day,
        'H' => &mut f.hour,
        'h' => &mut f.clock_hour,
        'm' => &mut f.minute,
        _ => &mut f.second,
    };
    *slot = Some(value);
    Ok(rest)
}

/// Reads between `min` and `max` ASCII digits.
fn digits(text: &str, (min, max): (usize, usize)) -> Option<(u32, &str)> {
    let len = text
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if len < min || len == 0 {
        return None;
    }
    Some((text[..len].parse().ok()?, &text[len..]))
}

fn month_name(text: &str, short: bool) -> Option<(u32, &str)> {
    MONTHS.iter().zip(1..).find_map(|(name, number)| {
        let name = if short { &name[..3] } else { name };
        text.strip_prefix(name).map(|rest| (number, rest))
    })
}

fn am_pm<'t>(text: &'t str, f: &mut Fields) -> Result<&'t str, ParseFailure> {
    for (marker, pm) in [("AM", false), ("PM", true)] {
        if let Some(rest) = text.strip_prefix(marker) {
            f.pm = Some(pm);
            return Ok(rest);
        }
    }
    Err(ParseFailure::NoMatch)
}

fn zone_text<'t>(c: char, text: &'t str, f: &mut Fields) -> Result<&'t str, ParseFailure> {
    if matches!(c, 'Z' | 'X') && text.starts_with('Z') {
        f.offset = Some(0);
        return Ok(&text[1..]);
    }
    if let Some((seconds, len)) = offset(text) {
        f.offset = Some(seconds);
        return Ok(&text[len..]);
    }
    if matches!(c, 'V' | 'z') {
        // A zone ID runs to the next space.
        let len = text.find(' ').unwrap_or(text.len());
        let parsed = zone(&text[..len]).map_err(ParseFailure::Unsupported)?;
        f.offset = Some(parsed.offset_seconds);
        return Ok(&text[len..]);
    }
    Err(ParseFailure::NoMatch)
}

fn resolve(f: &Fields) -> Option<i64> {
    let (year, month, day) = (f.year?, f.month?, f.day?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let day = day.min(days_in_month(year, month));
    let hour = match (f.hour, f.clock_hour, f.pm) {
        (Some(h), None, None) if h <= 23 => h,
        (None, Some(h), Some(pm)) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        (None, None, None) => 0,
        _ => return None,
    };
    let (minute, second) = (f.minute.unwrap_or(0), f.second.unwrap_or(0));
    if minute > 59 || second > 59 {
        return None;
    }

    // Nine-digit years overflow i64 milliseconds, so work in i128.
    let seconds = i128::from(days_from_civil(year, month, day)) * 86_400
        + i128::from(hour * 3600 + minute * 60 + second)
        - i128::from(f.offset.unwrap_or(0));
    i64::try_from(seconds * 1000 + i128::from(f.nano.unwrap_or(0) / 1_000_000)).ok()
}

/// A local date and time broken into what a format needs.
struct Local {
    year: i64,
    month: u32,
    day: u32,
    weekday: usize,
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
}

impl Local {
    fn new(epoch_ms: i64, zone: &Zone) -> Local {
        let local_ms = epoch_ms + i64::from(zone.offset_seconds) * 1000;
        let days = local_ms.div_euclid(MS_PER_DAY);
        let ms = local_ms.rem_euclid(MS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days);
        Local {
            year,
            month,
            day,
            weekday: (days + 3).rem_euclid(7) as usize,
            hour: ms / 3_600_000,
            minute: ms / 60_000 % 60,
            second: ms / 1000 % 60,
            milli: ms % 1000,
        }
    }
}

/// Formats an instant with a compiled Joda pattern in a zone.
pub(crate) fn format(items: &[Item], epoch_ms: i64, zone: &Zone) -> String {
    let t = Local::new(epoch_ms, zone);
    let mut out = String::new();
    for item in items {
        match item {
            Item::Literal(lit) => out.push_str(lit),
            Item::Field(c, n) => format_field(*c, *n, &t, zone, &mut out),
        }
    }
    out
}

fn format_field(c: char, n: usize, t: &Local, zone: &Zone, out: &mut String) {
    let year_of_era = if t.year > 0 { t.year } else { 1 - t.year };
    let hour12 = if t.hour.is_multiple_of(12) {
        12
    } else {
        t.hour % 12
    };
    let _ = match c {
        'y' | 'u' if n == 2 => write!(out, "{:02}", year_of_era.rem_euclid(100)),
        'y' => write!(out, "{year_of_era:0n$}"),
        'u' => write!(out, "{:0n$}", t.year),
        'M' if n >= 4 => write!(out, "{}", MONTHS[t.month as usize - 1]),
        'M' if n == 3 => write!(out, "{}", &MONTHS[t.month as usize - 1][..3]),
        'M' => write!(out, "{:0n$}", t.month),
        'd' => write!(out, "{:0n$}", t.day),
        'H' => write!(out, "{:0n$}", t.hour),
        'h' => write!(out, "{hour12:0n$}"),
        'm' => write!(out, "{:0n$}", t.minute),
        's' => write!(out, "{:0n$}", t.second),
        'S' => write!(out, "{}", fraction(t.milli, n)),
        'a' => write!(out, "{}", if t.hour < 12 { "AM" } else { "PM" }),
        'E' if n >= 4 => write!(out, "{}", DAYS[t.weekday]),
        'E' => write!(out, "{}", &DAYS[t.weekday][..3]),
        'G' => write!(out, "{}", if t.year > 0 { "AD" } else { "BC" }),
        'Z' if n == 1 => write!(out, "{}", offset_text(zone.offset_seconds, false)),
        'Z' if n == 2 => write!(out, "{}", offset_text(zone.offset_seconds, true)),
        'z' if n >= 4 && zone.offset_seconds == 0 => write!(out, "Coordinated Universal Time"),
        _ => write!(out, "{}", zone.id),
    };
}

fn fraction(milli: u32, digits: usize) -> String {
    let mut text = format!("{milli:03}");
    text.truncate(digits);
    while text.len() < digits {
        text.push('0');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(text: &str, pattern: &str) -> Option<i64> {
        let items = compile(pattern, Dialect::Jdk).unwrap();
        parse_epoch_ms(text, &items).ok()
    }

    fn formatted(pattern: &str, ms: i64, zone_id: &str) -> String {
        let items = compile(pattern, Dialect::Joda).unwrap();
        format(&items, ms, &zone(zone_id).unwrap())
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-719_468, -1, 0, 1, 10_957, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
    }

    #[test]
    fn reference_examples_of_time_to_epoch() {
        let offset = epoch("2020-04-03 09:45:18 UTC+01:00", "yyyy-MM-dd HH:mm:ss VV");
        assert_eq!(offset, Some(1_585_903_518_000));
        assert_eq!(
            epoch("18 December 2015", "dd MMMM yyyy"),
            Some(1_450_396_800_000)
        );
    }

    #[test]
    fn jdk_parsing_rules() {
        let cases = [
            (
                "2026-12-01 10:15:30",
                "yyyy-MM-dd HH:mm:ss",
                Some(1_796_120_130_000),
            ),
            (
                "2026-12-01T10:15:30.123Z",
                "yyyy-MM-dd'T'HH:mm:ss.SSSX",
                Some(1_796_120_130_123),
            ),
            (
                "2026-12-01T10:15:30+0100",
                "yyyy-MM-dd'T'HH:mm:ssZ",
                Some(1_796_116_530_000),
            ),
            ("20261201", "yyyyMMdd", Some(1_796_083_200_000)),
            ("1/2/2026", "d/M/yyyy", Some(1_769_904_000_000)),
            ("2026-02-30", "yyyy-MM-dd", Some(1_772_236_800_000)),
            (
                "01 Dec 2026 03:04 PM",
                "dd MMM yyyy hh:mm a",
                Some(1_796_137_440_000),
            ),
            (
                "2026-12-01 10:15:30.123456789Z",
                "yyyy-MM-dd HH:mm:ss",
                None,
            ),
            ("2026-12-01T10:15:30", "yyyy-MM-dd HH:mm:ss", None),
            ("2026-13-01", "yyyy-MM-dd", None),
            ("2026-12-01 24:00:00", "yyyy-MM-dd HH:mm:ss", None),
            ("226-12-01", "yyyy-MM-dd", None),
            ("10:15", "HH:mm", None),
            ("2026-1-01", "yyyy-MM-dd", None),
        ];
        for (text, pattern, expected) in cases {
            assert_eq!(epoch(text, pattern), expected, "{text} / {pattern}");
        }
    }

    #[test]
    fn zone_regions_are_refused_by_name() {
        let items = compile("yyyy-MM-dd HH:mm:ss.SSS z", Dialect::Jdk).unwrap();
        let text = "2007-12-03 10:15:30.592 America/Los_Angeles";
        assert!(matches!(
            parse_epoch_ms(text, &items),
            Err(ParseFailure::Unsupported(m)) if m.contains("America/Los_Angeles")
        ));
        assert!(zone("Europe/Amsterdam").is_err());
        assert_eq!(zone("GMT-05:30").unwrap().offset_seconds, -19_800);
        assert_eq!(zone("+01").unwrap().offset_seconds, 3600);
    }

    #[test]
    fn unsupported_letters_are_named() {
        assert_eq!(
            compile("EEE yyyy", Dialect::Jdk),
            Err("pattern letters `EEE` in time_to_epoch".into())
        );
        assert!(compile("yyyy[-MM]", Dialect::Jdk).is_err());
        assert!(compile("Q", Dialect::Joda).is_err());
        assert!(compile("yyyy.MM.dd G 'at' HH:mm:ss z", Dialect::Joda).is_ok());
    }

    #[test]
    fn joda_formatting() {
        let ms = 1_796_120_130_123;
        let cases = [
            (
                "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
                "UTC",
                "2026-12-01T10:15:30.123+0000",
            ),
            (
                "yyyy.MM.dd G 'at' HH:mm:ss z",
                "UTC",
                "2026.12.01 AD at 10:15:30 UTC",
            ),
            ("EEE, d MMM yy h:mm a", "+02:00", "Tue, 1 Dec 26 12:15 PM"),
            ("EEEE MMMM", "UTC", "Tuesday December"),
            ("yyyy", "UTC", "2026"),
            ("HH:mm ZZ", "-05:30", "04:45 -05:30"),
            ("S SSSSSS ''", "UTC", "1 123000 '"),
        ];
        for (pattern, zone_id, expected) in cases {
            assert_eq!(formatted(pattern, ms, zone_id), expected, "{pattern}");
        }
        assert_eq!(
            formatted("yyyy.MM.dd HH:mm:ss", 100_000_000, "UTC"),
            "1970.01.02 03:46:40"
        );
        assert_eq!(formatted("yyyy-MM-dd HH:mm", -1, "UTC"), "1969-12-31 23:59");
    }
}
