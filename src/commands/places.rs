//! `fleet places CAT`: the places the cat keeps coming back to, found by
//! clustering her fixes over a window (DBSCAN, see `track::places`) and
//! ranked with where she sleeps first; a table for people, one JSON
//! document for scripts.

use std::io::Write;
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use super::history::{self, DefaultWindow, History};
use super::outings::duration;
use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::{Format, PlacesArgs};
use crate::data::window::Window;
use crate::error::Error;
use crate::track::places::{self, Params, Place, Point};

/// The days `fleet places` looks back over when no window is chosen.
pub const DEFAULT_DAYS: u32 = 30;

pub async fn run(
    file: &Path,
    target: &Target,
    args: &PlacesArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let params =
        Params::new(args.radius, args.min_fixes).map_err(|e| Error::Usage(e.to_string()))?;
    let Session { fleet, ctx, .. } = session::open(file, target, format).await?;
    let cat = history::cat(&fleet, &args.cat)?;
    let now = Timestamp::now();
    let window = history::window(
        &fleet,
        &args.window,
        DefaultWindow::LastDays(DEFAULT_DAYS),
        now,
    )?;

    let history = History::read(&ctx, &fleet, cat, &window).await?;
    let points: Vec<Point> = history
        .fixes
        .iter()
        .map(|fix| Point {
            lat: fix.latitude,
            lon: fix.longitude,
            time_s: fix.time.as_second(),
        })
        .collect();
    let params = params.with_utc_offset(night_offset(&window));
    let started = std::time::Instant::now();
    let ranked = places::places(&points, &params);
    tracing::debug!(
        fixes = points.len(),
        places = ranked.len(),
        ms = started.elapsed().as_millis() as u64,
        "clustered and ranked"
    );

    let report = Report::new(
        &cat.name,
        &cat.device,
        &window,
        &params,
        points.len(),
        &ranked,
        args.top,
    );
    history::write_report(&report, format, out, Report::print)?;
    eprintln!("{}", history.describe(cat, &window));
    Ok(())
}

/// The zone's offset from UTC in the middle of the window: nights are told
/// on that clock, so a window across a daylight saving change places the
/// nights on its far side an hour off.
fn night_offset(window: &Window) -> i32 {
    let middle = window.from + window.to.duration_since(window.from) / 2;
    window.tz.to_offset(middle).seconds()
}

/// What `fleet places` reports; `--output json` prints it as it is.
#[derive(Debug, Serialize)]
struct Report {
    cat: String,
    device: String,
    timezone: String,
    from: String,
    to: String,
    radius_m: f64,
    min_fixes: usize,
    /// Fixes clustered, and those in no place.
    fixes: usize,
    unplaced: usize,
    /// All places found; `places` holds the first `--top` of them.
    found: usize,
    places: Vec<Ranked>,
}

#[derive(Debug, Serialize)]
struct Ranked {
    rank: usize,
    latitude: f64,
    longitude: f64,
    radius_m: f64,
    fixes: usize,
    visits: usize,
    dwell_s: i64,
    nights: usize,
    night_share: f64,
    first_seen: String,
    last_seen: String,
}

impl Report {
    fn new(
        name: &str,
        device: &str,
        window: &Window,
        params: &Params,
        fixes: usize,
        ranked: &[Place],
        top: usize,
    ) -> Report {
        let time = |s: i64| {
            Timestamp::from_second(s)
                .map_or_else(|_| String::new(), |t| history::local(t, &window.tz))
        };
        let placed: usize = ranked.iter().map(|p| p.fixes).sum();
        Report {
            cat: name.to_string(),
            device: device.to_string(),
            timezone: window.tz.iana_name().unwrap_or("local").to_string(),
            from: history::local(window.from, &window.tz),
            to: history::local(window.to, &window.tz),
            radius_m: params.radius_m(),
            min_fixes: params.min_fixes(),
            fixes,
            unplaced: fixes - placed,
            found: ranked.len(),
            places: ranked
                .iter()
                .take(top)
                .enumerate()
                .map(|(i, place)| Ranked {
                    rank: i + 1,
                    latitude: (place.lat * 1e6).round() / 1e6,
                    longitude: (place.lon * 1e6).round() / 1e6,
                    radius_m: (place.radius_m * 10.0).round() / 10.0,
                    fixes: place.fixes,
                    visits: place.visits,
                    dwell_s: place.dwell_s,
                    nights: place.nights,
                    night_share: (place.night_share * 1000.0).round() / 1000.0,
                    first_seen: time(place.first_seen_s),
                    last_seen: time(place.last_seen_s),
                })
                .collect(),
        }
    }

    fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let shown = if self.places.len() < self.found {
            format!(
                " (the first {} shown; --top changes that)",
                self.places.len()
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} from {} to {}: {} {} from {} fixes, {} in no place{shown}",
            self.cat,
            self.from,
            self.to,
            self.found,
            if self.found == 1 { "place" } else { "places" },
            self.fixes,
            self.unplaced,
        )?;
        if self.places.is_empty() {
            return Ok(());
        }

        writeln!(out)?;
        writeln!(
            out,
            "{:>3}  {:<21}  {:>6}  {:>6}  {:>8}  {:>11}  {:<16}  {:<16}",
            "#", "CENTRE", "RADIUS", "VISITS", "DWELL", "NIGHTS", "FIRST SEEN", "LAST SEEN"
        )?;
        for place in &self.places {
            let nights = format!("{} ({:.0}%)", place.nights, place.night_share * 100.0);
            writeln!(
                out,
                "{:>3}  {:<21}  {:>4} m  {:>6}  {:>8}  {:>11}  {:<16}  {:<16}",
                place.rank,
                format!("{:.5}, {:.5}", place.latitude, place.longitude),
                format!("{:.0}", place.radius_m),
                place.visits,
                duration(place.dwell_s),
                nights,
                place
                    .first_seen
                    .get(..16)
                    .unwrap_or_default()
                    .replace('T', " "),
                place
                    .last_seen
                    .get(..16)
                    .unwrap_or_default()
                    .replace('T', " "),
            )?;
        }
        Ok(())
    }
}
