//! Maps of where the cats have been: the model of one map and the two
//! pictures drawn from it.
//!
//! This module owns everything between cleaned fixes and the bytes of a
//! page: [`layer`] tells one cat's fixes as outings (each in its own
//! colour), fixes with their local times, and places sized by the time
//! spent there, with her home marked; [`html`] draws that as a Leaflet
//! page and [`svg`] as a static picture for reports. Reading the table and
//! writing the file belong to `fleet map` (`src/commands/map.rs`), so the
//! model and both renderers are pure and tested without AWS.
//!
//! Cat names and attributes come from the fleet file and reach a page a
//! person opens in a browser, so every string is escaped where it lands:
//! [`escape_html`] in markup, [`script_json`] for data inside `<script>`.

pub mod html;
pub mod svg;

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::track::fix::Fix;
use crate::track::outings::{self, OutingParams};
use crate::track::places::{self as clusters, Params, Point};

/// Why a map could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error(
        "cannot read Leaflet's `{}`: {source}; give --assets the `dist` folder of the npm \
         package leaflet@1.9.4 (`scripts/test` installs one in tests/browser/node_modules)",
        path.display()
    )]
    AssetRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`{}` is not Leaflet 1.9.4's own file (its SHA-384 differs); give --assets the `dist` \
         folder of the npm package leaflet@1.9.4",
        path.display()
    )]
    AssetMismatch { path: PathBuf },
    #[error(
        "no fixes for {cats} from {window}; nothing written (choose another --day or \
         --from/--to; `fleet locations` shows what the table holds)"
    )]
    Empty { cats: String, window: String },
    #[error(
        "the Mapbox token from {origin} is not a token: expected letters, digits, `.`, `_` and \
         `-`, like `pk.eyJ1...`"
    )]
    BadToken { origin: String },
    #[error(
        "cannot read the Mapbox token from secret `{name}` (map.mapbox_token_secret): {message}"
    )]
    Secret { name: String, message: String },
}

impl MapError {
    /// 2 for input to fix first (a flag, the assets given), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            MapError::AssetRead { .. }
            | MapError::AssetMismatch { .. }
            | MapError::BadToken { .. } => 2,
            MapError::Empty { .. } | MapError::Secret { .. } => 1,
        }
    }
}

/// A position in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl std::str::FromStr for LatLon {
    type Err = String;

    /// `52.370216,4.895168`: latitude, then longitude, in degrees.
    fn from_str(text: &str) -> Result<LatLon, String> {
        let usage = || format!("`{text}` is not LAT,LON in degrees, e.g. 52.370216,4.895168");
        let (lat, lon) = text.split_once(',').ok_or_else(usage)?;
        let lat: f64 = lat.trim().parse().map_err(|_| usage())?;
        let lon: f64 = lon.trim().parse().map_err(|_| usage())?;
        if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            return Err(usage());
        }
        Ok(LatLon { lat, lon })
    }
}

/// What `fleet map` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MapFormat {
    /// One HTML page drawn by Leaflet over web map tiles.
    Html,
    /// A static SVG picture without tiles.
    Svg,
}

/// Everything a map shows: a title, the time window and each cat's day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Map {
    pub title: String,
    /// The window in the zone it was asked in, e.g. `2026-12-01 00:00 CET
    /// to 2026-12-02 00:00 CET`.
    pub window: String,
    pub cats: Vec<CatLayer>,
}

/// One cat on the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatLayer {
    pub name: String,
    pub device: String,
    /// The fleet file's free attributes, shown in the legend.
    pub attributes: Vec<(String, String)>,
    pub outings: Vec<Outing>,
    pub fixes: Vec<Marker>,
    pub places: Vec<PlaceMark>,
    pub home: Option<Home>,
}

/// One trip between two stops, drawn as a line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outing {
    /// `#rrggbb`, from [`colour`]; set by [`assign_colours`].
    pub colour: String,
    /// Its local start and end times and length, e.g. `08:05-08:40, 620 m`.
    pub label: String,
    pub path: Vec<LatLon>,
}

/// One fix, drawn as a small dot with its local time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    pub at: LatLon,
    pub time: String,
}

/// A place she comes back to, drawn as a circle sized by her time there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceMark {
    pub at: LatLon,
    pub dwell_s: i64,
    pub visits: usize,
    pub nights: usize,
    /// The circle's radius in pixels: see [`place_radius_px`].
    pub radius_px: f64,
    /// e.g. `5 h 20 min over 3 visits, 1 night`.
    pub label: String,
}

/// Where she lives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Home {
    pub at: LatLon,
    /// Whether `--home` gave it, rather than her first-ranked place.
    pub given: bool,
}

/// What a cat is called in the fleet file; the part of a cat a map shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CatInfo {
    pub name: String,
    pub device: String,
    pub attributes: Vec<(String, String)>,
}

/// A palette of nine colours that stay apart from each other on a light
/// map (Tableau 10, without its grey, which reads as the map itself).
const PALETTE: [&str; 9] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f",
];

/// The colour of the `index`th outing on a map, counted over every cat.
/// After the palette, hues step by the golden angle, so no two outings of
/// a long day share a colour and neighbours in time never look alike.
pub fn colour(index: usize) -> String {
    if let Some(c) = PALETTE.get(index) {
        return (*c).to_string();
    }
    let step = (index - PALETTE.len()) as f64;
    let hue = (step * 137.507_764 + 15.0) % 360.0;
    hsl_hex(hue, 0.65, 0.42)
}

/// Gives every outing of the map its colour, cat by cat in time order.
pub fn assign_colours(cats: &mut [CatLayer]) {
    let outings = cats.iter_mut().flat_map(|c| c.outings.iter_mut());
    for (i, outing) in outings.enumerate() {
        outing.colour = colour(i);
    }
}

fn hsl_hex(hue: f64, saturation: f64, lightness: f64) -> String {
    let chroma = (1.0 - (2.0 * lightness - 1.0).abs()) * saturation;
    let h = hue / 60.0;
    let x = chroma * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        2 => (0.0, chroma, x),
        3 => (0.0, x, chroma),
        4 => (x, 0.0, chroma),
        _ => (chroma, 0.0, x),
    };
    let m = lightness - chroma / 2.0;
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

/// A place's circle: 6 px for a short stay, growing with the square root
/// of the hours so that its area, not its radius, tells the time, and
/// capped at 30 px so a night's sleep does not hide the garden.
pub fn place_radius_px(dwell_s: i64) -> f64 {
    let hours = dwell_s.max(0) as f64 / 3600.0;
    (6.0 + 6.0 * hours.sqrt()).min(30.0)
}

/// One cat's day as the map draws it: outings from [`outings::split`] with
/// its default thresholds (trips of one fix are left out, as there is no
/// line to draw), every fix, and places from [`clusters::places`] with
/// their default radius and density. Home is `home` when given, else the
/// first-ranked place when she spent a night there.
pub fn layer(cat: CatInfo, fixes: &[Fix], tz: &TimeZone, home: Option<LatLon>) -> CatLayer {
    let timeline = outings::split(fixes, &OutingParams::default());
    let outings: Vec<Outing> = timeline
        .trips()
        .filter(|trip| trip.fixes.len() >= 2)
        .map(|trip| Outing {
            colour: String::new(),
            label: format!(
                "{}-{}, {}",
                clock(trip.start, tz),
                clock(trip.end, tz),
                distance(trip.distance_m)
            ),
            path: trip.fixes.iter().map(at).collect(),
        })
        .collect();
    let markers = fixes
        .iter()
        .map(|f| Marker {
            at: at(f),
            time: f
                .time
                .to_zoned_datetime(tz.clone())
                .strftime("%H:%M %Z")
                .to_string(),
        })
        .collect();

    let places = place_marks(fixes, tz);
    let home = match home {
        Some(at) => Some(Home { at, given: true }),
        None => places.first().filter(|p| p.nights > 0).map(|p| Home {
            at: p.at,
            given: false,
        }),
    };
    CatLayer {
        name: cat.name,
        device: cat.device,
        attributes: cat.attributes,
        outings,
        fixes: markers,
        places,
        home,
    }
}

fn place_marks(fixes: &[Fix], tz: &TimeZone) -> Vec<PlaceMark> {
    let points: Vec<Point> = fixes
        .iter()
        .map(|f| Point {
            lat: f.latitude,
            lon: f.longitude,
            time_s: f.time.as_second(),
        })
        .collect();
    // Nights are counted on the clock of the window's first fix; a map
    // spanning a daylight-saving change is off by an hour for part of it.
    let offset = fixes.first().map_or(0, |f| tz.to_offset(f.time).seconds());
    let params = Params::default().with_utc_offset(offset);
    clusters::places(&points, &params)
        .into_iter()
        .map(|p| PlaceMark {
            at: LatLon {
                lat: p.lat,
                lon: p.lon,
            },
            dwell_s: p.dwell_s,
            visits: p.visits,
            nights: p.nights,
            radius_px: place_radius_px(p.dwell_s),
            label: place_label(p.dwell_s, p.visits, p.nights),
        })
        .collect()
}

fn at(fix: &Fix) -> LatLon {
    LatLon {
        lat: fix.latitude,
        lon: fix.longitude,
    }
}

fn clock(time: Timestamp, tz: &TimeZone) -> String {
    time.to_zoned_datetime(tz.clone())
        .strftime("%H:%M")
        .to_string()
}

/// Metres under a kilometre, else kilometres to one decimal.
pub fn distance(metres: f64) -> String {
    if metres < 1000.0 {
        format!("{metres:.0} m")
    } else {
        format!("{:.1} km", metres / 1000.0)
    }
}

fn place_label(dwell_s: i64, visits: usize, nights: usize) -> String {
    let minutes = dwell_s / 60;
    let dwell = match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut label = format!("{dwell} over {}", plural(visits, "visit"));
    if nights > 0 {
        label.push_str(&format!(", {}", plural(nights, "night")));
    }
    label
}

impl Map {
    /// The south-west and north-east corners of everything drawn, or
    /// `None` for a map with nothing on it.
    pub fn bounds(&self) -> Option<(LatLon, LatLon)> {
        let points = self.cats.iter().flat_map(|c| {
            let fixes = c.fixes.iter().map(|m| m.at);
            let places = c.places.iter().map(|p| p.at);
            fixes.chain(places).chain(c.home.map(|h| h.at))
        });
        points.fold(None, |bounds, p| {
            let (sw, ne) = bounds.unwrap_or((p, p));
            Some((
                LatLon {
                    lat: sw.lat.min(p.lat),
                    lon: sw.lon.min(p.lon),
                },
                LatLon {
                    lat: ne.lat.max(p.lat),
                    lon: ne.lon.max(p.lon),
                },
            ))
        })
    }

    /// Counts of what is drawn, for the command's summary and the tests.
    pub fn counts(&self) -> Counts {
        Counts {
            outings: self.cats.iter().map(|c| c.outings.len()).sum(),
            fixes: self.cats.iter().map(|c| c.fixes.len()).sum(),
            places: self.cats.iter().map(|c| c.places.len()).sum(),
            homes: self.cats.iter().filter(|c| c.home.is_some()).count(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub outings: usize,
    pub fixes: usize,
    pub places: usize,
    pub homes: usize,
}

/// Text for HTML (and XML) content and quoted attribute values. The line
/// and paragraph separators become character references too, so no raw
/// U+2028 or U+2029 reaches a page at all.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{2028}' => out.push_str("&#x2028;"),
            '\u{2029}' => out.push_str("&#x2029;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element: `<`, `>` and `&` as
/// `\u` escapes, so no `</script>` or `<!--` can end or bend the element,
/// and U+2028 and U+2029, which older JavaScript reads as line breaks.
/// The result is still the same JSON to any JSON parser.
pub fn script_json(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).expect("a map serialises");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A small map for the renderers' tests: two outings and a home.
#[cfg(test)]
pub(crate) fn sample(name: &str) -> Map {
    let p = |lat, lon| LatLon { lat, lon };
    let mut cats = vec![CatLayer {
        name: name.to_string(),
        device: "snowy-lgt92".into(),
        attributes: vec![("colour".into(), "white".into())],
        outings: vec![
            Outing {
                colour: String::new(),
                label: "08:00-08:20, 310 m".into(),
                path: vec![p(52.3702, 4.8951), p(52.3712, 4.8961), p(52.3722, 4.8951)],
            },
            Outing {
                colour: String::new(),
                label: "17:00-17:30, 420 m".into(),
                path: vec![p(52.3702, 4.8951), p(52.3692, 4.8931)],
            },
        ],
        fixes: [
            (52.3702, 4.8951),
            (52.3712, 4.8961),
            (52.3722, 4.8951),
            (52.3692, 4.8931),
        ]
        .iter()
        .enumerate()
        .map(|(i, &(lat, lon))| Marker {
            at: p(lat, lon),
            time: format!("{:02}:00 CET", 8 + i),
        })
        .collect(),
        places: vec![PlaceMark {
            at: p(52.3702, 4.8951),
            dwell_s: 9 * 3600,
            visits: 2,
            nights: 1,
            radius_px: place_radius_px(9 * 3600),
            label: place_label(9 * 3600, 2, 1),
        }],
        home: Some(Home {
            at: p(52.3702, 4.8951),
            given: false,
        }),
    }];
    assign_colours(&mut cats);
    Map {
        title: format!("{name}, 2026-12-01"),
        window: "2026-12-01 00:00 CET to 2026-12-02 00:00 CET".into(),
        cats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::testing::{HOME, fix, moved};

    #[test]
    fn escaping_html_leaves_no_markup() {
        assert_eq!(
            escape_html(r#"<script>alert("1")</script> & 'x'"#),
            "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt; &amp; &#39;x&#39;"
        );
        assert_eq!(escape_html("Snowy"), "Snowy");
        assert_eq!(escape_html("a\u{2028}b\u{2029}"), "a&#x2028;b&#x2029;");
    }

    #[test]
    fn json_in_a_script_cannot_close_it_and_still_parses() {
        let name = "</script><script>alert(1)</script><!-- & \u{2028}\u{2029}";
        let json = script_json(&serde_json::json!({ "name": name }));
        for bad in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!json.contains(bad), "{bad:?} in {json}");
        }
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["name"], name);
    }

    #[test]
    fn outing_colours_are_distinct_across_cats() {
        let all: Vec<String> = (0..60).map(colour).collect();
        let unique: std::collections::BTreeSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{all:?}");
        assert!(all.iter().all(|c| c.len() == 7 && c.starts_with('#')));
        assert_eq!(colour(0), "#4e79a7");

        let mut cats = vec![sample("A").cats.remove(0), sample("B").cats.remove(0)];
        assign_colours(&mut cats);
        let colours: Vec<&str> = cats
            .iter()
            .flat_map(|c| c.outings.iter().map(|o| o.colour.as_str()))
            .collect();
        assert_eq!(colours, [colour(0), colour(1), colour(2), colour(3)]);
    }

    #[test]
    fn places_grow_with_dwell_and_stay_readable() {
        assert_eq!(place_radius_px(0), 6.0);
        assert!(place_radius_px(3600) < place_radius_px(4 * 3600));
        assert_eq!(place_radius_px(100 * 3600), 30.0);
        assert_eq!(
            place_label(5 * 3600 + 20 * 60, 3, 1),
            "5 h 20 min over 3 visits, 1 night"
        );
        assert_eq!(place_label(600, 1, 0), "10 min over 1 visit");
    }

    /// A night at home, an outing of six fixes to the north and back
    /// home: one outing line, every fix a marker, home the night's place.
    #[test]
    fn a_day_becomes_outings_fixes_and_a_home() {
        let mut fixes: Vec<Fix> = (0..7).map(|h| fix("snowy", h * 60, HOME)).collect();
        for step in 1..=6 {
            let north = 80.0 * step as f64;
            fixes.push(fix("snowy", 7 * 60 + step * 5, moved(HOME, north, 0.0)));
        }
        for m in 0..6 {
            fixes.push(fix("snowy", 8 * 60 + m * 5, HOME));
        }
        let cat = CatInfo {
            name: "Snowy".into(),
            device: "snowy".into(),
            attributes: vec![],
        };
        let utc = TimeZone::UTC;

        let layer = layer(cat.clone(), &fixes, &utc, None);
        assert_eq!(layer.outings.len(), 1, "{:?}", layer.outings);
        assert_eq!(layer.fixes.len(), fixes.len());
        assert_eq!(layer.fixes[0].time, "00:00 UTC");
        let home = layer.home.expect("she slept at home");
        assert!(!home.given);
        assert!((home.at.lat - HOME.0).abs() < 1e-4, "{home:?}");

        let given = LatLon { lat: 1.0, lon: 2.0 };
        let layer = super::layer(cat, &fixes, &utc, Some(given));
        assert_eq!(
            layer.home,
            Some(Home {
                at: given,
                given: true
            })
        );
    }

    #[test]
    fn bounds_hold_everything_drawn() {
        let map = sample("Snowy");
        let (sw, ne) = map.bounds().unwrap();
        assert_eq!((sw.lat, sw.lon), (52.3692, 4.8931));
        assert_eq!((ne.lat, ne.lon), (52.3722, 4.8961));
        let empty = Map {
            cats: vec![],
            ..map
        };
        assert_eq!(empty.bounds(), None);
    }
}
