//! Fixes: where one tracker was at one moment, read from whatever holds
//! them, and cleaned of what a GPS collar gets wrong.
//!
//! A fix comes from an item fleet's topic rule wrote to the location table
//! ([`Fix::from_item`]), or from a raw The Things Network uplink, in the v3
//! shape or the older v2 one ([`Fix::from_uplink`]). Either way the record
//! it was read from is kept whole in [`Fix::raw`], so nothing a decoder
//! sent is lost on the way to a table or a map.
//!
//! [`clean`] drops the fixes that cannot be where the cat was, counting
//! each by its [`Reason`]: the "no fix" marker, 0/0, coordinates off the
//! globe, duplicates, and jumps faster than a cat runs.

use std::collections::HashMap;
use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{Map, Number, Value as Json};

use crate::rule_sql::{PARTITION_KEY, SORT_KEY};

/// The mean Earth radius, (2a + b) / 3 of the WGS 84 ellipsoid, in
/// metres: the IUGG's R1, the usual radius for great-circle distances.
/// On a cat's scale the sphere is within 0.5% of the ellipsoid.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// An item of the location table, as the SDK gives it.
type Attributes = HashMap<String, AttributeValue>;

/// One position of one tracker.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// The TTN device id, the table's partition key.
    pub device: String,
    pub time: Timestamp,
    /// Degrees north, WGS 84.
    pub latitude: f64,
    /// Degrees east, WGS 84.
    pub longitude: f64,
    /// Battery volts, as the LGT-92 decoder's `BatV` gives them.
    pub battery: Option<f64>,
    /// dBm at the first gateway that heard the uplink.
    pub rssi: Option<f64>,
    /// dB at the first gateway that heard the uplink.
    pub snr: Option<f64>,
    /// The record the fix was read from: the item's attributes as JSON, or
    /// the whole uplink.
    pub raw: Map<String, Json>,
}

/// Why a record is not a fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FixError {
    #[error("not a TTN uplink: it has neither `end_device_ids` (v3) nor `dev_id` (v2)")]
    UnknownShape,
    #[error("the record has no {what}")]
    Missing { what: String },
    #[error("`{field}` holds {found}, not {expected}")]
    Invalid {
        field: String,
        found: String,
        expected: &'static str,
    },
}

impl Fix {
    /// Where the fix is, as (latitude, longitude) in degrees.
    pub fn position(&self) -> (f64, f64) {
        (self.latitude, self.longitude)
    }

    /// Metres to `other` along the great circle.
    pub fn distance_to(&self, other: &Fix) -> f64 {
        haversine(self.position(), other.position())
    }

    /// Reads an item of the location table, as a DynamoDB `Query` returns
    /// it. The attributes are those of fleet's default rule: `device_id`
    /// (S), `time` (N, epoch milliseconds), `latitude`, `longitude`, and the
    /// optional `battery`, `rssi` and `snr` (N). A number written as a
    /// string by a custom rule is read too; an optional attribute that is
    /// not a number is left out rather than losing the fix.
    pub fn from_item(item: &HashMap<String, AttributeValue>) -> Result<Fix, FixError> {
        let device = match item.get(PARTITION_KEY) {
            Some(AttributeValue::S(device)) if !device.is_empty() => device.clone(),
            Some(other) => {
                let found = attribute_text(other);
                return Err(invalid(PARTITION_KEY, found, "a non-empty string"));
            }
            None => return Err(missing(format!("`{PARTITION_KEY}`"))),
        };
        let millis = required(item, SORT_KEY)?;
        let time = millis
            .parse::<i64>()
            .ok()
            .and_then(|ms| Timestamp::from_millisecond(ms).ok())
            .ok_or_else(|| invalid(SORT_KEY, millis.to_string(), "epoch milliseconds"))?;
        let degrees = |name: &str| {
            let text = required(item, name)?;
            text.parse::<f64>()
                .map_err(|_| invalid(name, text.to_string(), "a number"))
        };
        let optional = |name: &str| item_number(item, name).and_then(|n| n.parse().ok());

        Ok(Fix {
            device,
            time,
            latitude: degrees("latitude")?,
            longitude: degrees("longitude")?,
            battery: optional("battery"),
            rssi: optional("rssi"),
            snr: optional("snr"),
            raw: attributes_json(item),
        })
    }

    /// Reads a raw TTN uplink: v3 (`end_device_ids`, `received_at`,
    /// `uplink_message.decoded_payload`, `uplink_message.rx_metadata`) or
    /// v2 (`dev_id`, `metadata.time`, `payload_fields`,
    /// `metadata.gateways`). The position is the decoded payload's
    /// `Latitude`/`Longitude`, as the LGT-92 decoder names them, or
    /// `latitude`/`longitude`, as most other decoders do; a decoder that
    /// writes them as strings (`toFixed`) is read too. The battery is the
    /// LGT-92's `BatV`; RSSI and SNR are the first gateway's, as the rule
    /// stores them.
    pub fn from_uplink(uplink: &Json) -> Result<Fix, FixError> {
        let shape = if uplink.get("end_device_ids").is_some() {
            &V3
        } else if uplink.get("dev_id").is_some() {
            &V2
        } else {
            return Err(FixError::UnknownShape);
        };

        let device = text_at(uplink, shape.device)?;
        let time = time_at(uplink, shape.time)?;
        let payload = uplink
            .pointer(shape.payload)
            .ok_or_else(|| missing(format!("`{}`", dotted(shape.payload))))?;
        let gateway = uplink.pointer(shape.gateways).and_then(|g| g.get(0));
        let gateway_number = |name| gateway.and_then(|g| g.get(name)).and_then(json_number);

        Ok(Fix {
            device: device.to_string(),
            time,
            latitude: coordinate(payload, shape.payload, ["Latitude", "latitude"])?,
            longitude: coordinate(payload, shape.payload, ["Longitude", "longitude"])?,
            battery: payload.get("BatV").and_then(json_number),
            rssi: gateway_number("rssi"),
            snr: gateway_number("snr"),
            raw: uplink.as_object().cloned().unwrap_or_default(),
        })
    }
}

/// Where each part of a fix sits in one TTN uplink shape, as JSON pointers.
struct Shape {
    device: &'static str,
    /// Where the time may be, in order of preference.
    time: &'static [&'static str],
    payload: &'static str,
    gateways: &'static str,
}

/// The v3 uplink. The top-level `received_at` is the one the rule stores;
/// `uplink_message.received_at` is the network server's, a few
/// milliseconds earlier, and stands in when the first is missing.
const V3: Shape = Shape {
    device: "/end_device_ids/device_id",
    time: &["/received_at", "/uplink_message/received_at"],
    payload: "/uplink_message/decoded_payload",
    gateways: "/uplink_message/rx_metadata",
};

/// The v2 uplink, which TTN v2's MQTT API and HTTP integration sent.
const V2: Shape = Shape {
    device: "/dev_id",
    time: &["/metadata/time"],
    payload: "/payload_fields",
    gateways: "/metadata/gateways",
};

fn text_at<'a>(uplink: &'a Json, pointer: &str) -> Result<&'a str, FixError> {
    match uplink.pointer(pointer) {
        Some(Json::String(text)) if !text.is_empty() => Ok(text),
        Some(other) => Err(invalid(&dotted(pointer), other.to_string(), "a string")),
        None => Err(missing(format!("`{}`", dotted(pointer)))),
    }
}

fn time_at(uplink: &Json, pointers: &[&str]) -> Result<Timestamp, FixError> {
    let Some(pointer) = pointers.iter().find(|p| uplink.pointer(p).is_some()) else {
        let names: Vec<String> = pointers
            .iter()
            .map(|p| format!("`{}`", dotted(p)))
            .collect();
        return Err(missing(names.join(" or ")));
    };
    let text = text_at(uplink, pointer)?;
    text.parse()
        .map_err(|_| invalid(&dotted(pointer), text.to_string(), "an RFC 3339 time"))
}

/// The first of `names` in the decoded payload at `pointer`, as a number.
fn coordinate(payload: &Json, pointer: &str, names: [&str; 2]) -> Result<f64, FixError> {
    let path = dotted(pointer);
    let Some((name, value)) = names.iter().find_map(|n| Some((n, payload.get(n)?))) else {
        let [preferred, other] = names;
        return Err(missing(format!("`{path}.{preferred}` (or `{other}`)")));
    };
    let field = format!("{path}.{name}");
    json_number(value).ok_or_else(|| invalid(&field, value.to_string(), "a number"))
}

/// A JSON number, or a string holding one.
fn json_number(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON pointer as the dotted path people write: `a.b.c`.
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The text of a number attribute, or of a string attribute holding one.
fn item_number<'a>(item: &'a Attributes, name: &str) -> Option<&'a str> {
    match item.get(name)? {
        AttributeValue::N(text) | AttributeValue::S(text) => Some(text),
        _ => None,
    }
}

fn required<'a>(item: &'a Attributes, name: &str) -> Result<&'a str, FixError> {
    match item.get(name) {
        None => Err(missing(format!("`{name}`"))),
        Some(value) => {
            item_number(item, name).ok_or_else(|| invalid(name, attribute_text(value), "a number"))
        }
    }
}

/// An attribute as an error message shows it: its type and value.
fn attribute_text(value: &AttributeValue) -> String {
    match attribute_json(value) {
        Some(json) => format!("{json} ({})", type_name(value)),
        None => type_name(value).to_string(),
    }
}

fn type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::M(_) => "M",
        AttributeValue::L(_) => "L",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "an unknown type",
    }
}

/// An attribute in DynamoDB's own JSON mapping, the inverse of what the
/// DynamoDBv2 rule action does; binary becomes base64 text, and a number
/// beyond 64-bit integers becomes the nearest `f64`. `None` for a type
/// newer than this SDK.
fn attribute_json(value: &AttributeValue) -> Option<Json> {
    let base64 = |blob: &aws_sdk_dynamodb::primitives::Blob| {
        Json::String(base64::engine::general_purpose::STANDARD.encode(blob.as_ref()))
    };
    Some(match value {
        AttributeValue::S(text) => Json::String(text.clone()),
        AttributeValue::N(text) => number_json(text),
        AttributeValue::B(blob) => base64(blob),
        AttributeValue::Bool(b) => Json::Bool(*b),
        AttributeValue::Null(_) => Json::Null,
        AttributeValue::M(map) => Json::Object(attributes_json(map)),
        AttributeValue::L(list) => Json::Array(list.iter().filter_map(attribute_json).collect()),
        AttributeValue::Ss(texts) => texts.iter().cloned().map(Json::String).collect(),
        AttributeValue::Ns(texts) => texts.iter().map(String::as_str).map(number_json).collect(),
        AttributeValue::Bs(blobs) => blobs.iter().map(base64).collect(),
        _ => return None,
    })
}

/// Attributes as a JSON object, sorted by name so that the same item
/// always prints the same.
fn attributes_json(attributes: &Attributes) -> Map<String, Json> {
    let mut names: Vec<&String> = attributes.keys().collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| Some((name.clone(), attribute_json(&attributes[name])?)))
        .collect()
}

fn number_json(text: &str) -> Json {
    let number = text
        .parse::<i64>()
        .ok()
        .map(Number::from)
        .or_else(|| text.parse::<u64>().ok().map(Number::from))
        .or_else(|| Number::from_f64(text.parse().ok()?));
    number.map_or_else(|| Json::String(text.to_string()), Json::Number)
}

fn missing(what: String) -> FixError {
    FixError::Missing { what }
}

fn invalid(field: &str, found: String, expected: &'static str) -> FixError {
    FixError::Invalid {
        field: field.to_string(),
        found,
        expected,
    }
}

/// Metres between two points given as (latitude, longitude) in degrees,
/// along a great circle of a sphere of [`EARTH_RADIUS_M`]: the haversine
/// formula, which stays accurate for the few metres between two fixes of a
/// sleeping cat, where the spherical law of cosines loses its digits.
pub fn haversine(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (lat1, lon1) = (from.0.to_radians(), from.1.to_radians());
    let (lat2, lon2) = (to.0.to_radians(), to.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    // Rounding can push `h` a hair above 1 for antipodal points.
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Why [`clean`] dropped a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The tracker had no position and sent its "no fix" marker.
    NoFix,
    /// Latitude and longitude both exactly 0.
    NullIsland,
    /// A latitude beyond ±90°, a longitude beyond ±180°, or not a number.
    OutOfRange,
    /// Another fix of the same device has the same time.
    Duplicate,
    /// Reaching it needs a speed no cat runs at.
    Jump,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Reason::NoFix,
        Reason::NullIsland,
        Reason::OutOfRange,
        Reason::Duplicate,
        Reason::Jump,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::NoFix => "no GPS fix",
            Reason::NullIsland => "at 0/0",
            Reason::OutOfRange => "out of range",
            Reason::Duplicate => "duplicate",
            Reason::Jump => "impossible jump",
        })
    }
}

/// How many fixes [`clean`] dropped, per reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejected {
    counts: [usize; Reason::ALL.len()],
}

impl Rejected {
    pub fn count(&self, reason: Reason) -> usize {
        self.counts[reason.index()]
    }

    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The reasons that dropped at least one fix, with their counts.
    pub fn iter(&self) -> impl Iterator<Item = (Reason, usize)> + '_ {
        Reason::ALL
            .into_iter()
            .map(|reason| (reason, self.count(reason)))
            .filter(|(_, count)| *count > 0)
    }

    fn add(&mut self, reason: Reason, count: usize) {
        self.counts[reason.index()] += count;
    }
}

/// `none`, or `2 no GPS fix, 1 duplicate`.
impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.total() == 0 {
            return f.write_str("none");
        }
        let parts: Vec<String> = self.iter().map(|(r, n)| format!("{n} {r}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// The limits [`clean_with`] holds fixes to.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanParams {
    /// The fastest a cat gets from one fix to the next, in km/h. The
    /// default, 50, is above a domestic cat's top sprint (about 48 km/h,
    /// held for seconds), so no run of a real cat is dropped; a glitch
    /// kilometres off five minutes after the last fix is, as is a ride in
    /// a car. A glitch nearer than that passes: speed alone cannot tell it
    /// from a cat.
    pub max_speed_kmh: f64,
    /// Metres granted on top of that speed, for the error of the two
    /// fixes. The default, 50, covers two fixes each off by 25 m, as a
    /// collar's are under trees or beside a wall, so that fixes seconds
    /// apart are not taken for a sprint.
    pub tolerance_m: f64,
}

impl Default for CleanParams {
    fn default() -> CleanParams {
        CleanParams {
            max_speed_kmh: 50.0,
            tolerance_m: 50.0,
        }
    }
}

impl CleanParams {
    /// The speed, in metres a second, a cat at `from` needs to be at `to`
    /// by `to`'s time, after [`CleanParams::tolerance_m`].
    fn speed_needed(&self, from: &Fix, to: &Fix) -> f64 {
        let beyond_error = from.distance_to(to) - self.tolerance_m;
        if beyond_error <= 0.0 {
            return 0.0;
        }
        beyond_error / to.time.duration_since(from.time).as_secs_f64().abs()
    }

    fn reachable(&self, speed: f64) -> bool {
        speed <= self.max_speed_kmh / 3.6
    }
}

/// How many fixes in a row, each reachable from the one before, overrule
/// the last kept fix. A GPS glitch is one fix, rarely two; three agreeing
/// fixes elsewhere mean the cat is there (she rode in a car to the vet), or
/// that the fix before them was the glitch.
const CONFIRMING_FIXES: usize = 3;

/// [`clean_with`] with the default limits.
pub fn clean(fixes: Vec<Fix>) -> (Vec<Fix>, Rejected) {
    clean_with(fixes, &CleanParams::default())
}

/// Drops the fixes that cannot be where the cat was and returns the rest
/// sorted by device, then time, with a count per reason of those dropped.
///
/// Each fix is checked on its own first: the "no fix" marker, 0/0, then
/// the ranges. Of fixes of one device at the same time the first given is
/// kept. Then each device's fixes are walked in time order: a fix that
/// cannot be reached from the last kept one at [`CleanParams`]'s speed is a
/// jump and dropped, keeping the earlier plausible fix, unless it starts a
/// run of three fixes that agree with each other. Such a run is kept; when
/// the device's only kept fix before it is its first, that first fix is the
/// one dropped as the jump, since a first fix has nothing to vouch for it.
/// Given time, a cat could reach a glitch too, so a fix that both the last
/// kept fix and such a run could reach goes with the one it needs the
/// lower speed from.
pub fn clean_with(fixes: Vec<Fix>, params: &CleanParams) -> (Vec<Fix>, Rejected) {
    let mut rejected = Rejected::default();
    let mut fixes: Vec<Fix> = fixes
        .into_iter()
        .filter(|fix| match position_problem(fix) {
            Some(reason) => {
                rejected.add(reason, 1);
                false
            }
            None => true,
        })
        .collect();

    fixes.sort_by(|a, b| a.device.cmp(&b.device).then(a.time.cmp(&b.time)));
    let before = fixes.len();
    fixes.dedup_by(|later, earlier| later.device == earlier.device && later.time == earlier.time);
    rejected.add(Reason::Duplicate, before - fixes.len());

    let mut kept = Vec::with_capacity(fixes.len());
    for track in by_device(fixes) {
        let (plausible, jumps) = drop_jumps(track, params);
        kept.extend(plausible);
        rejected.add(Reason::Jump, jumps);
    }
    (kept, rejected)
}

/// 0x0FFFFFFF in millionths of a degree: what an LGT-92 with the 4-byte
/// coordinate payload sends for both coordinates when its battery is too
/// low to run the GPS. Decoders sign-extend it differently, so it arrives
/// as 268.435455 or -268.435455.
const NO_FIX_MARKER: f64 = 268.435_455;

/// 0x0FFFFF in ten-thousandths of a degree: the same marker in the first
/// LGT-92 firmware's 3-byte payload. As a longitude it is a real place (in
/// Cambodia), so only a latitude is taken for it.
const NO_FIX_MARKER_3_BYTES: f64 = 104.8575;

/// How close a coordinate must be to a marker to be taken for it: a
/// decoder that rounds to five decimals still matches. No real position is
/// that close, since both markers lie beyond ±90°.
const MARKER_TOLERANCE: f64 = 1e-3;

fn position_problem(fix: &Fix) -> Option<Reason> {
    let (lat, lon) = fix.position();
    let near = |value: f64, marker: f64| (value.abs() - marker).abs() < MARKER_TOLERANCE;
    if near(lat, NO_FIX_MARKER) || near(lon, NO_FIX_MARKER) || near(lat, NO_FIX_MARKER_3_BYTES) {
        Some(Reason::NoFix)
    } else if lat == 0.0 && lon == 0.0 {
        // What the LGT-92 sends when the GPS timed out without a position.
        Some(Reason::NullIsland)
    } else if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        Some(Reason::OutOfRange)
    } else {
        None
    }
}

/// Fixes sorted by device, split into one run per device.
fn by_device(fixes: Vec<Fix>) -> Vec<Vec<Fix>> {
    let mut tracks: Vec<Vec<Fix>> = Vec::new();
    for fix in fixes {
        match tracks.last_mut() {
            Some(track) if track[0].device == fix.device => track.push(fix),
            _ => tracks.push(vec![fix]),
        }
    }
    tracks
}

/// One device's fixes, in time order, without the jumps; and how many
/// jumps there were.
fn drop_jumps(track: Vec<Fix>, params: &CleanParams) -> (Vec<Fix>, usize) {
    let mut kept: Vec<Fix> = Vec::with_capacity(track.len());
    // Fixes unreachable from the last kept one, each reachable from the
    // one before it: a glitch, or the start of a move to confirm.
    let mut doubtful: Vec<Fix> = Vec::new();
    let mut jumps = 0;

    for fix in track {
        let Some(last) = kept.last() else {
            kept.push(fix);
            continue;
        };
        let from_kept = params.speed_needed(last, &fix);
        let from_doubtful = doubtful.last().map(|d| params.speed_needed(d, &fix));

        // A fix either track could reach goes with the one it is nearer,
        // in speed: after a glitch, time alone makes the glitch reachable.
        let joins_doubtful =
            from_doubtful.is_some_and(|speed| params.reachable(speed) && speed < from_kept);
        if joins_doubtful {
            doubtful.push(fix);
        } else {
            jumps += doubtful.len();
            doubtful.clear();
            if params.reachable(from_kept) {
                kept.push(fix);
                continue;
            }
            doubtful.push(fix);
        }

        if doubtful.len() == CONFIRMING_FIXES {
            if kept.len() == 1 {
                kept.clear();
                jumps += 1;
            }
            kept.append(&mut doubtful);
        }
    }
    (kept, jumps + doubtful.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iotsql;
    use crate::track::testing::{HOME, fix, minute, moved};
    use serde_json::json;

    const LGT92_UPLINK: &str = include_str!("../../examples/uplink-lgt92.json");
    const NO_PAYLOAD_UPLINK: &str = include_str!("../../examples/uplink-no-payload.json");
    const NO_TIME_UPLINK: &str = include_str!("../../examples/uplink-no-time.json");

    fn uplink(text: &str) -> Json {
        serde_json::from_str(text).expect("the examples are JSON")
    }

    fn time(text: &str) -> Timestamp {
        text.parse().expect("a valid time")
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.to_string())
    }

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_string())
    }

    fn item(attributes: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        attributes
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    }

    /// A minimal item of the default rule, with `extra` attributes set or
    /// replaced and `without` left out.
    fn rule_item(
        extra: &[(&str, AttributeValue)],
        without: &[&str],
    ) -> HashMap<String, AttributeValue> {
        let mut item = item(&[
            ("device_id", s("snowy-lgt92")),
            ("time", n("1796120130000")),
            ("latitude", n("52.370216")),
            ("longitude", n("4.895168")),
        ]);
        item.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        for name in without {
            item.remove(*name);
        }
        item
    }

    /// The SDK's form of an item the rules engine built.
    fn sdk_value(value: &iotsql::AttributeValue) -> AttributeValue {
        match value {
            iotsql::AttributeValue::S(text) => AttributeValue::S(text.clone()),
            iotsql::AttributeValue::N(text) => AttributeValue::N(text.clone()),
            iotsql::AttributeValue::Bool(b) => AttributeValue::Bool(*b),
            iotsql::AttributeValue::Null => AttributeValue::Null(true),
            iotsql::AttributeValue::M(map) => {
                AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), sdk_value(v))).collect())
            }
            iotsql::AttributeValue::L(list) => {
                AttributeValue::L(list.iter().map(sdk_value).collect())
            }
        }
    }

    #[test]
    fn reads_the_item_the_default_rule_writes() {
        let sql = crate::rule_sql::default_sql("+/devices/+/up", Some(30));
        let statement = iotsql::parse(&sql).expect("the default rule parses");
        let ctx = iotsql::Context::new("backyard-cats/devices/snowy-lgt92/up", 0);
        let payload = uplink(LGT92_UPLINK);
        let verdict = crate::rule::judge(&statement, &payload, &ctx).expect("it evaluates");
        let crate::rule::Verdict::Written(written) = verdict else {
            panic!("the rule writes no item: {:?}", verdict.reason());
        };
        let item: HashMap<_, _> = written
            .iter()
            .map(|(k, v)| (k.clone(), sdk_value(v)))
            .collect();

        let fix = Fix::from_item(&item).expect("the item is a fix");
        assert_eq!(fix.device, "snowy-lgt92");
        assert_eq!(fix.time, time("2026-12-01T10:15:30Z"));
        assert_eq!(fix.position(), (52.370216, 4.895168));
        assert_eq!(
            (fix.battery, fix.rssi, fix.snr),
            (Some(3.912), Some(-97.0), Some(9.25))
        );
        assert_eq!(fix.raw["f_cnt"], json!(1234));
        assert_eq!(fix.raw["dev_eui"], json!("70B3D57ED005A1B2"));
        assert_eq!(
            fix.raw["received_at"],
            json!("2026-12-01T10:15:30.123456789Z")
        );
        assert!(fix.raw.contains_key("expires_at"));

        // The uplink itself gives the same fix, to the nanosecond.
        let direct = Fix::from_uplink(&payload).expect("the uplink is a fix");
        assert_eq!(direct.time, time("2026-12-01T10:15:30.123456789Z"));
        assert_eq!(
            (
                direct.device.as_str(),
                direct.position(),
                direct.battery,
                direct.rssi,
                direct.snr
            ),
            (
                fix.device.as_str(),
                fix.position(),
                fix.battery,
                fix.rssi,
                fix.snr
            )
        );
    }

    #[test]
    fn reads_item_attributes_leniently_where_it_can() {
        let cases = [
            (
                "numbers as strings",
                rule_item(&[("latitude", s("52.1")), ("battery", s("3.6"))], &[]),
            ),
            (
                "a NULL battery",
                rule_item(&[("battery", AttributeValue::Null(true))], &[]),
            ),
            ("no optional attributes", rule_item(&[], &[])),
        ];
        for (name, item) in cases {
            let fix = Fix::from_item(&item).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(fix.time, time("2026-12-01T10:15:30Z"), "{name}");
            assert_eq!(fix.rssi, None, "{name}");
        }
        let fix = Fix::from_item(&rule_item(&[("battery", s("3.6"))], &[])).unwrap();
        assert_eq!(fix.battery, Some(3.6));
    }

    #[test]
    fn says_why_an_item_is_not_a_fix() {
        let cases = [
            (
                rule_item(&[], &["device_id"]),
                "the record has no `device_id`",
            ),
            (
                rule_item(&[("device_id", n("7"))], &[]),
                "`device_id` holds 7 (N), not a non-empty string",
            ),
            (
                rule_item(&[("device_id", s(""))], &[]),
                "not a non-empty string",
            ),
            (rule_item(&[], &["time"]), "the record has no `time`"),
            (
                rule_item(&[("time", s("2026-12-01T10:15:30Z"))], &[]),
                "`time` holds 2026-12-01T10:15:30Z, not epoch milliseconds",
            ),
            (
                rule_item(&[("time", n("1e30"))], &[]),
                "not epoch milliseconds",
            ),
            (
                rule_item(&[], &["latitude"]),
                "the record has no `latitude`",
            ),
            (
                rule_item(&[], &["longitude"]),
                "the record has no `longitude`",
            ),
            (
                rule_item(&[("latitude", AttributeValue::Bool(true))], &[]),
                "`latitude` holds true (BOOL), not a number",
            ),
            (
                rule_item(&[("longitude", s("east"))], &[]),
                "`longitude` holds east, not a number",
            ),
        ];
        for (item, expected) in cases {
            let error = Fix::from_item(&item).expect_err(expected).to_string();
            assert!(error.contains(expected), "{error:?} lacks {expected:?}");
        }
    }

    #[test]
    fn keeps_every_attribute_as_json() {
        let blob = aws_sdk_dynamodb::primitives::Blob::new(b"cat".to_vec());
        let item = rule_item(
            &[
                ("flag", AttributeValue::Bool(false)),
                ("gone", AttributeValue::Null(true)),
                ("tags", AttributeValue::Ss(vec!["indoor".into()])),
                ("counts", AttributeValue::Ns(vec!["1".into(), "2.5".into()])),
                ("payload", AttributeValue::B(blob)),
                (
                    "gateway",
                    AttributeValue::M([("rssi".to_string(), n("-97"))].into()),
                ),
                (
                    "path",
                    AttributeValue::L(vec![n("18446744073709551615"), s("x")]),
                ),
            ],
            &[],
        );
        let raw = Json::Object(Fix::from_item(&item).unwrap().raw);
        assert_eq!(
            raw,
            json!({
                "device_id": "snowy-lgt92", "time": 1_796_120_130_000_i64,
                "latitude": 52.370216, "longitude": 4.895168,
                "flag": false, "gone": null, "tags": ["indoor"], "counts": [1, 2.5],
                "payload": "Y2F0", "gateway": {"rssi": -97},
                "path": [18_446_744_073_709_551_615_u64, "x"],
            })
        );
    }

    #[test]
    fn reads_a_v3_uplink_of_an_lgt92() {
        let fix = Fix::from_uplink(&uplink(LGT92_UPLINK)).unwrap();
        assert_eq!(fix.device, "snowy-lgt92");
        assert_eq!(fix.position(), (52.370216, 4.895168));
        assert_eq!(
            (fix.battery, fix.rssi, fix.snr),
            (Some(3.912), Some(-97.0), Some(9.25))
        );
        assert_eq!(
            fix.raw["uplink_message"]["decoded_payload"]["MD"],
            json!("Move")
        );
    }

    #[test]
    fn reads_a_v3_uplink_of_another_decoder() {
        // Lowercase names, coordinates as `toFixed` strings, no gateway.
        let payload = json!({
            "end_device_ids": {"device_id": "tigger-tracker"},
            "received_at": "2026-12-01T10:15:30+01:00",
            "uplink_message": {
                "decoded_payload": {
                    "latitude": "-33.8688000", "longitude": 151.2093, "battery": 87,
                },
            },
        });
        let fix = Fix::from_uplink(&payload).unwrap();
        assert_eq!(fix.device, "tigger-tracker");
        assert_eq!(fix.time, time("2026-12-01T09:15:30Z"));
        assert_eq!(fix.position(), (-33.8688, 151.2093));
        assert_eq!((fix.battery, fix.rssi, fix.snr), (None, None, None));
    }

    #[test]
    fn takes_the_network_servers_time_when_the_uplink_has_no_other() {
        let fix = Fix::from_uplink(&uplink(NO_TIME_UPLINK)).unwrap();
        assert_eq!(fix.time, time("2026-12-01T10:15:30.118Z"));
    }

    #[test]
    fn reads_a_v2_uplink() {
        let payload = json!({
            "app_id": "backyard-cats",
            "dev_id": "snowy-lgt92",
            "hardware_serial": "70B3D57ED005A1B2",
            "port": 2,
            "counter": 1234,
            "payload_raw": "AyN7YgBLv4AL3GAAPUY=",
            "payload_fields": {"latitude": 52.370216, "longitude": 4.895168, "BatV": 3.9},
            "metadata": {
                "time": "2019-03-01T10:15:30.123456789Z",
                "frequency": 868.1,
                "gateways": [
                    {"gtw_id": "eui-b827ebfffe123456", "rssi": -101, "snr": -2.5},
                    {"gtw_id": "eui-b827ebfffe654321", "rssi": -90, "snr": 8},
                ],
            },
        });
        let fix = Fix::from_uplink(&payload).unwrap();
        assert_eq!(fix.device, "snowy-lgt92");
        assert_eq!(fix.time, time("2019-03-01T10:15:30.123456789Z"));
        assert_eq!(fix.position(), (52.370216, 4.895168));
        assert_eq!(
            (fix.battery, fix.rssi, fix.snr),
            (Some(3.9), Some(-101.0), Some(-2.5))
        );
        assert_eq!(fix.raw["counter"], json!(1234));

        let lgt92 = json!({
            "dev_id": "snowy-lgt92",
            "payload_fields": {"Latitude": -1.5, "Longitude": -2.25},
            "metadata": {"time": "2019-03-01T10:15:30Z"},
        });
        assert_eq!(Fix::from_uplink(&lgt92).unwrap().position(), (-1.5, -2.25));
    }

    #[test]
    fn says_why_an_uplink_is_not_a_fix() {
        let v3 = |decoded: Json| {
            json!({
                "end_device_ids": {"device_id": "snowy-lgt92"},
                "received_at": "2026-12-01T10:15:30Z",
                "uplink_message": {"decoded_payload": decoded},
            })
        };
        let cases = [
            (
                uplink(NO_PAYLOAD_UPLINK),
                "no `uplink_message.decoded_payload`",
            ),
            (
                v3(json!({"BatV": 3.1})),
                "no `uplink_message.decoded_payload.Latitude` (or `latitude`)",
            ),
            (
                v3(json!({"Latitude": 52.1})),
                "no `uplink_message.decoded_payload.Longitude` (or `longitude`)",
            ),
            (
                v3(json!({"Latitude": "north", "Longitude": 4.8})),
                "`uplink_message.decoded_payload.Latitude` holds \"north\", not a number",
            ),
            (
                json!({"end_device_ids": {}, "received_at": "2026-12-01T10:15:30Z"}),
                "no `end_device_ids.device_id`",
            ),
            (
                json!({"end_device_ids": {"device_id": "a"}}),
                "no `received_at` or `uplink_message.received_at`",
            ),
            (
                json!({"end_device_ids": {"device_id": "a"}, "received_at": "yesterday"}),
                "`received_at` holds yesterday, not an RFC 3339 time",
            ),
            (
                json!({"dev_id": "a", "payload_fields": {}}),
                "no `metadata.time`",
            ),
            (
                json!({"dev_id": "a", "metadata": {"time": "2019-03-01T10:15:30Z"}}),
                "no `payload_fields`",
            ),
            (
                json!({"device": "a"}),
                "neither `end_device_ids` (v3) nor `dev_id` (v2)",
            ),
            (json!([1, 2]), "not a TTN uplink"),
        ];
        for (payload, expected) in cases {
            let error = Fix::from_uplink(&payload).expect_err(expected).to_string();
            assert!(error.contains(expected), "{error:?} lacks {expected:?}");
        }
    }

    #[test]
    fn haversine_follows_the_sphere() {
        let quarter = EARTH_RADIUS_M * std::f64::consts::FRAC_PI_2;
        let cases = [
            ("same point", HOME, HOME, 0.0),
            (
                "a degree of latitude",
                (52.0, 4.9),
                (53.0, 4.9),
                EARTH_RADIUS_M.to_radians(),
            ),
            ("equator to pole", (0.0, 30.0), (90.0, -120.0), quarter),
            (
                "a quarter of the equator",
                (0.0, -45.0),
                (0.0, 45.0),
                quarter,
            ),
            ("antipodes", (0.0, 0.0), (0.0, 180.0), 2.0 * quarter),
            (
                "across the 180th meridian",
                (0.0, 179.5),
                (0.0, -179.5),
                EARTH_RADIUS_M.to_radians(),
            ),
            ("100 m north", HOME, moved(HOME, 100.0, 0.0), 100.0),
            ("100 m east", HOME, moved(HOME, 0.0, 100.0), 100.0),
        ];
        for (name, from, to, expected) in cases {
            let metres = haversine(from, to);
            assert!(
                (metres - expected).abs() < 1e-6 * expected.max(1.0),
                "{name}: {metres}"
            );
            assert_eq!(metres, haversine(to, from), "{name} is symmetric");
        }
    }

    const DEVICE: &str = "snowy-lgt92";

    fn at(minute: i64, position: (f64, f64)) -> Fix {
        fix(DEVICE, minute, position)
    }

    fn east(metres: f64) -> (f64, f64) {
        moved(HOME, 0.0, metres)
    }

    #[test]
    fn drops_invalid_fixes_with_a_count_per_reason() {
        use Reason::*;

        let home = |minute| at(minute, HOME);
        let mut jittered = at(0, east(40.0));
        jittered.time += jiff::SignedDuration::from_secs(1);
        // What is given, what is dropped and why, and how many fixes stay.
        type Case = (&'static str, Vec<Fix>, Vec<(Reason, usize)>, usize);
        let cases: Vec<Case> = vec![
            (
                "nothing to drop",
                vec![home(0), home(5), home(65)],
                vec![],
                3,
            ),
            (
                "the no-fix marker, as decoders give it",
                vec![
                    at(0, (268.435455, 268.435455)),
                    at(5, (-268.435455, -268.435455)),
                    at(10, (52.37, 268.435455)),
                    at(15, (268.43546, 268.43546)),
                    at(20, (104.8575, 104.8575)),
                    home(25),
                ],
                vec![(NoFix, 5)],
                1,
            ),
            (
                "a longitude of 104.8575 is Cambodia",
                vec![at(0, (11.55, 104.8575))],
                vec![],
                1,
            ),
            (
                "0/0, not the equator or the meridian",
                vec![
                    at(0, (0.0, 0.0)),
                    at(5, (-0.0, 0.0)),
                    fix("on-the-equator", 10, (0.0, 4.9)),
                    fix("in-greenwich", 15, (51.5, 0.0)),
                ],
                vec![(NullIsland, 2)],
                2,
            ),
            (
                "beyond the globe",
                vec![
                    at(0, (90.000_001, 0.5)),
                    at(5, (-91.0, 4.9)),
                    at(10, (52.0, 180.5)),
                    at(15, (52.0, -181.0)),
                    at(20, (f64::NAN, 4.9)),
                    at(25, (52.0, f64::INFINITY)),
                    at(30, (90.0, 180.0)),
                ],
                vec![(OutOfRange, 6)],
                1,
            ),
            (
                "the edges of the globe",
                vec![
                    fix("south", 0, (-90.0, -180.0)),
                    fix("north", 0, (90.0, 180.0)),
                ],
                vec![],
                2,
            ),
            (
                "the same time twice",
                vec![home(0), home(5), at(5, east(20.0)), home(5)],
                vec![(Duplicate, 2)],
                2,
            ),
            (
                "the same time on two devices",
                vec![home(0), fix("tigger", 0, HOME)],
                vec![],
                2,
            ),
            (
                "a spike",
                vec![home(0), at(5, east(5_000.0)), home(10)],
                vec![(Jump, 1)],
                2,
            ),
            (
                "the first fix is the spike",
                vec![at(0, east(10_000.0)), home(5), home(10), home(15), home(20)],
                vec![(Jump, 1)],
                4,
            ),
            (
                "a spike, then a still cat's next fix an hour later",
                vec![home(0), at(5, east(5_000.0)), home(60), home(120)],
                vec![(Jump, 1)],
                3,
            ),
            (
                "two fixes away and back",
                vec![
                    home(0),
                    at(5, east(20_000.0)),
                    at(10, east(20_100.0)),
                    home(15),
                ],
                vec![(Jump, 2)],
                2,
            ),
            (
                "a car ride to the vet, three fixes there",
                vec![
                    home(0),
                    home(5),
                    at(20, east(20_000.0)),
                    at(25, east(20_050.0)),
                    at(30, east(20_000.0)),
                ],
                vec![],
                5,
            ),
            (
                "a sprint at 30 km/h",
                vec![home(0), at(2, east(1_000.0))],
                vec![],
                2,
            ),
            (
                "fixes a second and 40 m apart",
                vec![home(0), jittered],
                vec![],
                2,
            ),
            (
                "each device on its own",
                vec![
                    home(0),
                    fix("tigger", 1, east(30_000.0)),
                    home(5),
                    fix("tigger", 6, east(30_000.0)),
                ],
                vec![],
                4,
            ),
            ("nothing at all", vec![], vec![], 0),
        ];
        for (name, fixes, expected, kept) in cases {
            let (clean, rejected) = clean(fixes);
            let counts: Vec<(Reason, usize)> = rejected.iter().collect();
            assert_eq!(counts, expected, "{name}");
            assert_eq!(clean.len(), kept, "{name}: kept");
        }
    }

    #[test]
    fn keeps_the_earlier_plausible_fix() {
        let spike = at(5, east(5_000.0));
        let (kept, _) = clean(vec![at(0, HOME), spike.clone(), at(10, east(10.0))]);
        assert!(!kept.contains(&spike));
        assert_eq!(kept, vec![at(0, HOME), at(10, east(10.0))]);
    }

    #[test]
    fn sorts_by_device_then_time_and_keeps_the_first_duplicate() {
        let first = at(5, east(10.0));
        let fixes = vec![
            fix("tigger", 3, HOME),
            at(10, HOME),
            first.clone(),
            fix("tigger", 1, HOME),
            at(5, east(30.0)),
            at(0, HOME),
        ];
        let (kept, rejected) = clean(fixes);
        let order: Vec<(&str, Timestamp)> =
            kept.iter().map(|f| (f.device.as_str(), f.time)).collect();
        assert_eq!(
            order,
            vec![
                (DEVICE, minute(0)),
                (DEVICE, minute(5)),
                (DEVICE, minute(10)),
                ("tigger", minute(1)),
                ("tigger", minute(3)),
            ]
        );
        assert_eq!(kept[1], first);
        assert_eq!(rejected.count(Reason::Duplicate), 1);
    }

    #[test]
    fn a_lower_speed_limit_drops_a_sprint() {
        let sprint = vec![at(0, HOME), at(2, east(1_000.0))];
        let params = CleanParams {
            max_speed_kmh: 10.0,
            ..CleanParams::default()
        };
        let (kept, rejected) = clean_with(sprint, &params);
        assert_eq!((kept.len(), rejected.count(Reason::Jump)), (1, 1));
    }

    #[test]
    fn rejected_reads_as_a_sentence() {
        let (_, none) = clean(vec![at(0, HOME)]);
        assert_eq!(none.to_string(), "none");
        assert_eq!(none.total(), 0);

        let fixes = vec![
            at(0, (0.0, 0.0)),
            at(5, HOME),
            at(5, HOME),
            at(10, (268.435455, 268.435455)),
        ];
        let (_, rejected) = clean(fixes);
        assert_eq!(rejected.to_string(), "1 no GPS fix, 1 at 0/0, 1 duplicate");
        assert_eq!(rejected.total(), 3);
        assert_eq!(rejected.count(Reason::Jump), 0);
    }
}
