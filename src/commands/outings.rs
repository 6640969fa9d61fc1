//! `fleet outings CAT`: the cat's fixes over a window told as stops, trips
//! (outings) and gaps, each with its times and what it covered; a table for
//! people, one JSON document for scripts.

use std::io::Write;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::history::{self, DefaultWindow, History};
use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::{Format, OutingsArgs};
use crate::data::window::Window;
use crate::error::Error;
use crate::track::outings::{self, OutingParams, Segment, Timeline};

pub async fn run(
    file: &Path,
    target: &Target,
    args: &OutingsArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let params = params(args)?;
    let Session { fleet, ctx, .. } = session::open(file, target, format).await?;
    let cat = history::cat(&fleet, &args.cat)?;
    let window = history::window(&fleet, &args.window, DefaultWindow::Today, Timestamp::now())?;

    let history = History::read(&ctx, &fleet, cat, &window).await?;
    let timeline = outings::split(&history.fixes, &params);

    let report = Report::new(&cat.name, &cat.device, &window, &params, &timeline);
    history::write_report(&report, format, out, Report::print)?;
    eprintln!("{}", history.describe(cat, &window));
    Ok(())
}

/// The flags as stay-point thresholds, checked.
fn params(args: &OutingsArgs) -> Result<OutingParams, Error> {
    if !(args.radius.is_finite() && args.radius > 0.0) {
        return Err(Error::Usage(format!(
            "--radius {} is not a positive number of metres",
            args.radius
        )));
    }
    for (flag, value) in [("--min-stay", args.min_stay), ("--max-gap", args.max_gap)] {
        if value <= SignedDuration::ZERO {
            return Err(Error::Usage(format!(
                "{flag} must be longer than zero, not {value:#}"
            )));
        }
    }
    Ok(OutingParams {
        radius_m: args.radius,
        min_stay: args.min_stay,
        max_gap: args.max_gap,
    })
}

/// What `fleet outings` reports; `--output json` prints it as it is.
#[derive(Debug, Serialize)]
struct Report {
    cat: String,
    device: String,
    timezone: String,
    from: String,
    to: String,
    radius_m: f64,
    min_stay_s: i64,
    max_gap_s: i64,
    outings: usize,
    stops: usize,
    gaps: usize,
    /// Metres along the fixes of every outing.
    distance_m: f64,
    /// Seconds spent on outings.
    outing_s: i64,
    segments: Vec<Part>,
}

/// One stop, outing or gap.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Part {
    Stop {
        start: String,
        end: String,
        duration_s: i64,
        latitude: f64,
        longitude: f64,
        radius_m: f64,
        fixes: usize,
    },
    Outing {
        /// Counted from 1 in time order.
        number: usize,
        start: String,
        end: String,
        duration_s: i64,
        distance_m: f64,
        fixes: usize,
    },
    Gap {
        start: String,
        end: String,
        duration_s: i64,
    },
}

impl Report {
    fn new(
        name: &str,
        device: &str,
        window: &Window,
        params: &OutingParams,
        timeline: &Timeline,
    ) -> Report {
        let tz = &window.tz;
        let time = |t: Timestamp| history::local(t, tz);
        let mut number = 0;
        let segments = timeline
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Stop(stop) => Part::Stop {
                    start: time(stop.start),
                    end: time(stop.end),
                    duration_s: stop.duration().as_secs(),
                    latitude: round(stop.latitude, 6),
                    longitude: round(stop.longitude, 6),
                    radius_m: round(stop.radius_m, 1),
                    fixes: stop.fixes.len(),
                },
                Segment::Trip(trip) => {
                    number += 1;
                    Part::Outing {
                        number,
                        start: time(trip.start),
                        end: time(trip.end),
                        duration_s: trip.duration().as_secs(),
                        distance_m: round(trip.distance_m, 1),
                        fixes: trip.fixes.len(),
                    }
                }
                Segment::Gap(gap) => Part::Gap {
                    start: time(gap.start),
                    end: time(gap.end),
                    duration_s: gap.duration().as_secs(),
                },
            })
            .collect();

        Report {
            cat: name.to_string(),
            device: device.to_string(),
            timezone: tz.iana_name().unwrap_or("local").to_string(),
            from: time(window.from),
            to: time(window.to),
            radius_m: params.radius_m,
            min_stay_s: params.min_stay.as_secs(),
            max_gap_s: params.max_gap.as_secs(),
            outings: timeline.trips().count(),
            stops: timeline.stops().count(),
            gaps: timeline.gaps().count(),
            distance_m: round(timeline.trips().map(|t| t.distance_m).sum(), 1),
            outing_s: timeline.trips().map(|t| t.duration().as_secs()).sum(),
            segments,
        }
    }

    fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{} from {} to {}: {} {}, {} in {}; {} {}{}",
            self.cat,
            self.from,
            self.to,
            self.outings,
            if self.outings == 1 {
                "outing"
            } else {
                "outings"
            },
            distance(self.distance_m),
            duration(self.outing_s),
            self.stops,
            if self.stops == 1 { "stop" } else { "stops" },
            match self.gaps {
                0 => String::new(),
                1 => ", 1 gap in the data".to_string(),
                n => format!(", {n} gaps in the data"),
            }
        )?;
        if self.segments.is_empty() {
            return Ok(());
        }

        let days = self
            .segments
            .iter()
            .map(|p| &p.start()[..10])
            .collect::<Vec<_>>();
        let one_day = days.windows(2).all(|w| w[0] == w[1]);
        let clock = |t: &str| {
            if one_day {
                t[11..16].to_string()
            } else {
                t[..16].replace('T', " ")
            }
        };
        let width = if one_day { 5 } else { 16 };
        writeln!(out)?;
        writeln!(
            out,
            "{:<width$}  {:<width$}  {:>8}  {:<7}  WHERE / HOW FAR",
            "START", "END", "LASTED", "WHAT"
        )?;
        for part in &self.segments {
            let (what, detail) = match part {
                Part::Stop {
                    latitude,
                    longitude,
                    radius_m,
                    fixes,
                    ..
                } => (
                    "stop".to_string(),
                    format!(
                        "{latitude:.5}, {longitude:.5} (within {radius_m:.0} m, {fixes} fixes)"
                    ),
                ),
                Part::Outing {
                    number,
                    distance_m,
                    fixes,
                    ..
                } => (
                    format!("outing {number}"),
                    format!("{} over {fixes} fixes", distance(*distance_m)),
                ),
                Part::Gap { .. } => (
                    "gap".to_string(),
                    "no fixes: where she was is not known".to_string(),
                ),
            };
            writeln!(
                out,
                "{:<width$}  {:<width$}  {:>8}  {what:<7}  {detail}",
                clock(part.start()),
                clock(part.end()),
                duration(part.duration_s()),
            )?;
        }
        Ok(())
    }
}

impl Part {
    fn start(&self) -> &str {
        match self {
            Part::Stop { start, .. } | Part::Outing { start, .. } | Part::Gap { start, .. } => {
                start
            }
        }
    }

    fn end(&self) -> &str {
        match self {
            Part::Stop { end, .. } | Part::Outing { end, .. } | Part::Gap { end, .. } => end,
        }
    }

    fn duration_s(&self) -> i64 {
        match self {
            Part::Stop { duration_s, .. }
            | Part::Outing { duration_s, .. }
            | Part::Gap { duration_s, .. } => *duration_s,
        }
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// 850 m, 2.41 km.
pub fn distance(metres: f64) -> String {
    if metres < 1000.0 {
        format!("{metres:.0} m")
    } else {
        format!("{:.2} km", metres / 1000.0)
    }
}

/// 45s, 12m, 2h05m, 3d04h.
pub fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}
