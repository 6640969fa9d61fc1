//! Replaying a recorded track as one cat's uplinks: the points of a GPX
//! file (track, route and waypoints alike) or a CSV file with a time, a
//! latitude and a longitude column, such as `fleet locations --format csv`
//! writes. Each point becomes one uplink at its own time and place; the
//! collar adds only what a track lacks (battery, frame counter, radio).

use std::fmt;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use quick_xml::Reader;
use quick_xml::events::Event;

/// One recorded point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    /// Epoch milliseconds.
    pub time_ms: i64,
    pub latitude: f64,
    pub longitude: f64,
}

/// Why a track cannot be replayed: the file, where in it, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError {
    pub path: PathBuf,
    /// 1-based line, when the problem is on one.
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ReplayError {}

/// The CSV column names read, first match wins; compared ignoring case.
const TIME_COLUMNS: &[&str] = &["time_utc", "time", "timestamp", "received_at"];
const LATITUDE_COLUMNS: &[&str] = &["latitude", "lat"];
const LONGITUDE_COLUMNS: &[&str] = &["longitude", "lon", "lng", "long"];

/// Reads the track at `path`, GPX when its name ends in `.gpx`, else CSV;
/// points in time order, a point repeating the time of the one before
/// dropped (a GPX file often lists a point as a waypoint and a track point).
pub fn read(path: &Path) -> Result<Vec<TrackPoint>, ReplayError> {
    let fail = |line: Option<u64>, message: String| ReplayError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| fail(None, format!("cannot read it: {e}")))?;

    let gpx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gpx"));
    let mut points = if gpx {
        from_gpx(&text)
    } else {
        from_csv(&text)
    }
    .map_err(|(line, message)| fail(line, message))?;

    points.sort_by_key(|p| p.time_ms);
    points.dedup_by_key(|p| p.time_ms);
    if points.is_empty() {
        let what = if gpx {
            "no <trkpt>, <rtept> or <wpt> with a <time>"
        } else {
            "no rows"
        };
        return Err(fail(None, format!("{what}: nothing to replay")));
    }
    Ok(points)
}

/// Moves the track in time so that its first point falls on `day`, at the
/// same local time of day in `tz`.
pub fn start_on(points: &mut [TrackPoint], day: Date, tz: &TimeZone) -> Result<(), String> {
    let Some(first) = points.first() else {
        return Ok(());
    };
    let first = Timestamp::from_millisecond(first.time_ms).map_err(|e| e.to_string())?;
    let zoned = first.to_zoned_datetime(tz.clone());
    let moved = day
        .to_datetime(zoned.time())
        .to_zoned_datetime(tz.clone())
        .map_err(|e| format!("{day}: {e}"))?;
    let shift: SignedDuration = moved.timestamp().duration_since(first);
    let shift_ms = shift.as_millis() as i64;
    for point in points {
        point.time_ms += shift_ms;
    }
    Ok(())
}

/// Whether the cat was on the move from `before` to `point`: faster than
/// a stroll's tenth, 0.1 m/s, between the two.
pub fn moving(before: &TrackPoint, point: &TrackPoint) -> bool {
    let seconds = (point.time_ms - before.time_ms) as f64 / 1000.0;
    let metres = crate::track::haversine(
        (before.latitude, before.longitude),
        (point.latitude, point.longitude),
    );
    seconds > 0.0 && metres / seconds > 0.1
}

type Located<T> = Result<T, (Option<u64>, String)>;

fn from_gpx(text: &str) -> Located<Vec<TrackPoint>> {
    let line_of = |offset: u64| {
        let end = (offset as usize).min(text.len());
        Some(
            1 + text.as_bytes()[..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64,
        )
    };
    let mut reader = Reader::from_str(text);
    let mut points = Vec::new();
    // The point being read: where it starts, and its position.
    let mut open: Option<(u64, f64, f64)> = None;
    let mut in_time = false;
    let mut time: Option<String> = None;

    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            (
                line_of(reader.error_position()),
                format!("not well-formed XML: {e}"),
            )
        })?;
        match event {
            Event::Start(e) if is_point(e.local_name().as_ref()) => {
                let (lat, lon) = position(&e).map_err(|m| (line_of(at), m))?;
                open = Some((at, lat, lon));
                time = None;
            }
            Event::Empty(e) if is_point(e.local_name().as_ref()) => {
                return Err((
                    line_of(at),
                    "a point without a <time> cannot be replayed".into(),
                ));
            }
            Event::Start(e) if e.local_name().as_ref() == "time" && open.is_some() => {
                in_time = true
            }
            Event::Text(t) if in_time => {
                time.get_or_insert_with(String::new)
                    .push_str(&t.xml10_content());
            }
            Event::End(e) if e.local_name().as_ref() == "time" => in_time = false,
            Event::End(e) if is_point(e.local_name().as_ref()) => {
                let Some((start, latitude, longitude)) = open.take() else {
                    continue;
                };
                let Some(time) = time.take() else {
                    return Err((
                        line_of(start),
                        "a point without a <time> cannot be replayed".into(),
                    ));
                };
                let time_ms = timestamp(time.trim()).map_err(|m| (line_of(start), m))?;
                points.push(TrackPoint {
                    time_ms,
                    latitude,
                    longitude,
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(points)
}

fn is_point(name: &str) -> bool {
    matches!(name, "trkpt" | "rtept" | "wpt")
}

/// A GPX point's `lat` and `lon` attributes, checked.
fn position(e: &quick_xml::events::BytesStart<'_>) -> Result<(f64, f64), String> {
    let (mut lat, mut lon) = (None, None);
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        match attribute.key.local_name().as_ref() {
            "lat" => lat = Some(coordinate(&value, "lat", 90.0)?),
            "lon" => lon = Some(coordinate(&value, "lon", 180.0)?),
            _ => {}
        }
    }
    match (lat, lon) {
        (Some(lat), Some(lon)) => Ok((lat, lon)),
        _ => Err("a point needs both `lat` and `lon` attributes".into()),
    }
}

fn coordinate(text: &str, name: &str, limit: f64) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Ok(v),
        _ => Err(format!(
            "{name}: `{text}` is not a number of degrees from -{limit} to {limit}"
        )),
    }
}

/// RFC 3339 (`2026-12-01T08:00:00Z`), or Unix time in seconds or, when it
/// is too large to be seconds, milliseconds.
fn timestamp(text: &str) -> Result<i64, String> {
    if let Ok(number) = text.parse::<i64>() {
        return Ok(if number.abs() < 100_000_000_000 {
            number * 1000
        } else {
            number
        });
    }
    text.parse::<Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|e| format!("time `{text}` is not RFC 3339 or Unix time: {e}"))
}

fn from_csv(text: &str) -> Located<Vec<TrackPoint>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| (Some(1), e.to_string()))?
        .clone();
    let column = |names: &[&str], what: &str| {
        names
            .iter()
            .find_map(|name| headers.iter().position(|h| h.eq_ignore_ascii_case(name)))
            .ok_or_else(|| {
                (
                    Some(1),
                    format!(
                        "no {what} column: the header needs one of {}",
                        names.join(", ")
                    ),
                )
            })
    };
    let (time, lat, lon) = (
        column(TIME_COLUMNS, "time")?,
        column(LATITUDE_COLUMNS, "latitude")?,
        column(LONGITUDE_COLUMNS, "longitude")?,
    );

    let mut points = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| (e.position().map(|p| p.line()), e.to_string()))?;
        let line = record.position().map(|p| p.line());
        let field = |i: usize| record.get(i).unwrap_or_default();
        let time_ms =
            timestamp(field(time)).map_err(|m| (line, format!("{}: {m}", &headers[time])))?;
        let latitude = coordinate(field(lat), &headers[lat], 90.0).map_err(|m| (line, m))?;
        let longitude = coordinate(field(lon), &headers[lon], 180.0).map_err(|m| (line, m))?;
        points.push(TrackPoint {
            time_ms,
            latitude,
            longitude,
        });
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_gpx_track_with_waypoints_repeating_its_points() {
        let (_dir, path) = write(
            "walk.gpx",
            r#"<?xml version="1.0"?>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="52.37" lon="4.89"><time>2026-12-01T08:05:00Z</time></wpt>
  <trk><trkseg>
    <trkpt lat="52.3705" lon="4.8905"><ele>2</ele><time>2026-12-01T08:10:00Z</time></trkpt>
    <trkpt lat="52.37" lon="4.89"><time>2026-12-01T08:05:00Z</time></trkpt>
  </trkseg></trk>
</gpx>"#,
        );
        let points = read(&path).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(
            points[0].time_ms,
            "2026-12-01T08:05:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!((points[1].latitude, points[1].longitude), (52.3705, 4.8905));
    }

    #[test]
    fn fleets_own_csv_replays() {
        let (_dir, path) = write(
            "snowy.csv",
            "device,time_utc,time_local,latitude,longitude,battery,rssi,snr\n\
             snowy-lgt92,2026-12-01T08:00:00Z,2026-12-01 09:00:00 CET,52.37,4.89,3.9,,\n\
             snowy-lgt92,2026-12-01T08:05:00Z,2026-12-01 09:05:00 CET,52.3705,4.8905,3.9,,\n",
        );
        let points = read(&path).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[1].time_ms - points[0].time_ms, 300_000);
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let (_dir, path) = write(
            "t.csv",
            "time,lat,lon\n1796083200,52.37,4.89\n1796083500,95,4.89\n",
        );
        let err = read(&path).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.to_string()
                .ends_with("t.csv:3: lat: `95` is not a number of degrees from -90 to 90"),
            "{err}"
        );

        let (_dir, path) = write("t.csv", "when,lat,lon\n");
        let err = read(&path).unwrap_err();
        assert!(err.to_string().contains("t.csv:1: no time column"), "{err}");

        let (_dir, path) = write(
            "t.gpx",
            "<gpx>\n<trk><trkseg>\n<trkpt lat=\"52\" lon=\"4\"></trkpt>\n</trkseg></trk></gpx>",
        );
        let err = read(&path).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("without a <time>"), "{err}");

        let (_dir, path) = write("t.gpx", "<gpx>\n<trk>\n</gpx>");
        assert!(read(&path).unwrap_err().message.contains("not well-formed"));

        let (_dir, path) = write("t.gpx", "<gpx></gpx>");
        assert!(
            read(&path)
                .unwrap_err()
                .message
                .contains("nothing to replay")
        );
    }

    #[test]
    fn a_track_moves_to_another_day_keeping_its_local_times() {
        let tz = TimeZone::get("Europe/Amsterdam").unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        let mut points = vec![
            TrackPoint {
                time_ms: at("2026-07-01T06:00:00Z"),
                latitude: 0.0,
                longitude: 0.0,
            },
            TrackPoint {
                time_ms: at("2026-07-01T07:00:00Z"),
                latitude: 0.0,
                longitude: 0.0,
            },
        ];
        start_on(&mut points, "2026-12-01".parse().unwrap(), &tz).unwrap();
        // 08:00 summer time there is 08:00 winter time here: 07:00 UTC.
        assert_eq!(points[0].time_ms, at("2026-12-01T07:00:00Z"));
        assert_eq!(points[1].time_ms - points[0].time_ms, 3_600_000);
    }
}
