//! A cat's fixes written out: a table for people, CSV, JSON lines, GeoJSON
//! (RFC 7946: one LineString per outing, and the fixes as points) and GPX
//! 1.1 (one track segment per outing), for maps and other tools.

use std::io::Write;

use jiff::tz::TimeZone;
use serde_json::{Value, json};

use crate::track::fix::Fix;
use crate::track::outings::{self, OutingParams};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LocationFormat {
    Table,
    Csv,
    Jsonl,
    Geojson,
    Gpx,
}

pub fn write(
    format: LocationFormat,
    fixes: &[Fix],
    tz: &TimeZone,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        LocationFormat::Table => table(fixes, tz, out),
        LocationFormat::Csv => csv(fixes, tz, out),
        LocationFormat::Jsonl => fixes
            .iter()
            .try_for_each(|f| writeln!(out, "{}", fix_json(f, tz))),
        LocationFormat::Geojson => writeln!(out, "{}", geojson(fixes, tz)),
        LocationFormat::Gpx => gpx(fixes, out),
    }
}

fn local(fix: &Fix, tz: &TimeZone) -> String {
    fix.time
        .to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

fn optional(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn table(fixes: &[Fix], tz: &TimeZone, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<25} {:>10} {:>11} {:>7} {:>6} {:>6}",
        "TIME", "LATITUDE", "LONGITUDE", "BATTERY", "RSSI", "SNR"
    )?;
    for f in fixes {
        writeln!(
            out,
            "{:<25} {:>10.6} {:>11.6} {:>7} {:>6} {:>6}",
            local(f, tz),
            f.latitude,
            f.longitude,
            optional(f.battery),
            optional(f.rssi),
            optional(f.snr)
        )?;
    }
    Ok(())
}

fn csv(fixes: &[Fix], tz: &TimeZone, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "device,time_utc,time_local,latitude,longitude,battery,rssi,snr"
    )?;
    for f in fixes {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            f.device,
            f.time,
            local(f, tz),
            f.latitude,
            f.longitude,
            optional(f.battery),
            optional(f.rssi),
            optional(f.snr)
        )?;
    }
    Ok(())
}

fn fix_json(f: &Fix, tz: &TimeZone) -> Value {
    json!({
        "device": f.device,
        "time": f.time.to_string(),
        "local_time": local(f, tz),
        "latitude": f.latitude,
        "longitude": f.longitude,
        "battery": f.battery,
        "rssi": f.rssi,
        "snr": f.snr,
    })
}

/// RFC 7946 puts longitude first.
fn position(f: &Fix) -> Value {
    json!([f.longitude, f.latitude])
}

fn geojson(fixes: &[Fix], tz: &TimeZone) -> Value {
    let timeline = outings::split(fixes, &OutingParams::default());
    let mut features: Vec<Value> = timeline
        .trips()
        .enumerate()
        .filter(|(_, trip)| trip.fixes.len() >= 2)
        .map(|(i, trip)| {
            json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": trip.fixes.iter().map(position).collect::<Vec<_>>()},
                "properties": {
                    "kind": "outing",
                    "outing": i + 1,
                    "start": trip.start.to_string(),
                    "end": trip.end.to_string(),
                    "distance_m": (trip.distance_m * 10.0).round() / 10.0,
                },
            })
        })
        .collect();
    features.extend(fixes.iter().map(|f| {
        let mut properties = fix_json(f, tz);
        properties["kind"] = json!("fix");
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": position(f)}, "properties": properties})
    }));
    json!({"type": "FeatureCollection", "features": features})
}

fn gpx(fixes: &[Fix], out: &mut dyn Write) -> std::io::Result<()> {
    let timeline = outings::split(fixes, &OutingParams::default());
    let name = fixes.first().map(|f| escape(&f.device)).unwrap_or_default();

    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<gpx version="1.1" creator="fleet" xmlns="http://www.topografix.com/GPX/1/1">"#
    )?;
    for f in fixes {
        writeln!(
            out,
            r#"  <wpt lat="{}" lon="{}"><time>{}</time></wpt>"#,
            f.latitude, f.longitude, f.time
        )?;
    }
    writeln!(out, "  <trk><name>{name}</name>")?;
    for trip in timeline.trips() {
        writeln!(out, "    <trkseg>")?;
        for f in &trip.fixes {
            writeln!(
                out,
                r#"      <trkpt lat="{}" lon="{}"><time>{}</time></trkpt>"#,
                f.latitude, f.longitude, f.time
            )?;
        }
        writeln!(out, "    </trkseg>")?;
    }
    writeln!(out, "  </trk>")?;
    writeln!(out, "</gpx>")
}

/// XML text escaping for names that reach the GPX.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
