//! `fleet outings` and `fleet places` against the emulator, on days whose
//! answer is known: fixes laid out by hand around home and a neighbour's
//! garden 400 m north, then read back through the commands.

use std::process::{Command, Output};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use serde_json::Value;

use crate::deploy::{self, ctx};
use crate::emulator::Emulator;
use crate::harness::{self, stderr, stdout};

/// 2026-12-01T00:00:00Z in epoch milliseconds.
const DAY: i64 = 1_796_083_200_000;
const MINUTE: i64 = 60_000;
const HOME: (f64, f64) = (52.370_216, 4.895_168);
const METRES_PER_DEGREE: f64 = 111_195.0;

/// `north` metres north of home, with a metre or two of jitter that
/// depends on the time, as a real collar's fixes scatter.
fn north_of_home(north: f64, time_ms: i64) -> (f64, f64) {
    let jitter = ((time_ms / MINUTE) % 7) as f64 - 3.0;
    (
        HOME.0 + (north + jitter) / METRES_PER_DEGREE,
        HOME.1 + jitter / (METRES_PER_DEGREE * HOME.0.to_radians().cos()),
    )
}

/// Writes Snowy's fixes, 25 items a BatchWriteItem.
async fn put_all(aws: &fleet::aws::Aws, fixes: &[(i64, f64)]) {
    for chunk in fixes.chunks(25) {
        let requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|&(time_ms, north)| {
                let (lat, lon) = north_of_home(north, time_ms);
                let put = PutRequest::builder()
                    .item("device_id", AttributeValue::S("snowy-lgt92".into()))
                    .item("time", AttributeValue::N(time_ms.to_string()))
                    .item("latitude", AttributeValue::N(format!("{lat:.7}")))
                    .item("longitude", AttributeValue::N(format!("{lon:.7}")))
                    .item("battery", AttributeValue::N("3.9".into()))
                    .build()
                    .unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        let out = aws
            .dynamodb()
            .batch_write_item()
            .request_items("backyard-cats-locations", requests)
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }
}

/// One day starting at `day` (ms): asleep at home with a fix an hour until
/// 07:00, out 400 m north and back by 08:40 with a fix every 5 minutes,
/// an hour in the neighbour's garden, then home again hourly.
fn one_day(day: i64) -> Vec<(i64, f64)> {
    let mut fixes: Vec<(i64, f64)> = (0..=7).map(|h| (day + h * 60 * MINUTE, 0.0)).collect();
    let at = |minutes: i64| day + 7 * 60 * MINUTE + minutes * MINUTE;
    fixes.extend([(at(5), 100.0), (at(10), 200.0), (at(15), 300.0)]);
    fixes.extend((0..=12).map(|i| (at(20 + i * 5), 400.0)));
    fixes.extend([
        (at(85), 300.0),
        (at(90), 200.0),
        (at(95), 100.0),
        (at(100), 0.0),
    ]);
    fixes.extend((1..=14).map(|h| (at(100) + h * 60 * MINUTE, 0.0)));
    fixes
}

fn fleet(emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(args)
        .args(["--tz", "UTC"])
        .current_dir(harness::root())
        .envs(emulator.env())
        .output()
        .unwrap()
}

fn json(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outings_and_places_of_known_days() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet_file, rendered) = deploy::sample();
    deploy::apply(&ctx(&aws, &fleet_file), &fleet_file, &rendered).await;
    let days: Vec<(i64, f64)> = (0..3)
        .flat_map(|d| one_day(DAY + d * 24 * 60 * MINUTE))
        .collect();
    put_all(&aws, &days).await;

    let report = json(&fleet(
        &emulator,
        &[
            "outings",
            "Snowy",
            "--day",
            "2026-12-01",
            "--output",
            "json",
        ],
    ));
    assert_eq!(report["outings"], 2, "{report:#}");
    assert_eq!(report["stops"], 3, "{report:#}");
    let kinds: Vec<&str> = report["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["stop", "outing", "stop", "outing", "stop"]);
    let walked = report["distance_m"].as_f64().unwrap();
    assert!(
        (780.0..=840.0).contains(&walked),
        "400 m out and 400 m back, not {walked}"
    );
    let garden = &report["segments"][2];
    assert_eq!(garden["start"], "2026-12-01T07:20:00+00:00");
    assert_eq!(garden["end"], "2026-12-01T08:20:00+00:00");
    assert_eq!(garden["fixes"], 13);
    let garden_north = (garden["latitude"].as_f64().unwrap() - HOME.0) * METRES_PER_DEGREE;
    assert!(
        (395.0..=405.0).contains(&garden_north),
        "{garden_north} m north"
    );
    assert_eq!(report["segments"][1]["start"], "2026-12-01T07:00:00+00:00");
    assert_eq!(report["segments"][1]["end"], "2026-12-01T07:20:00+00:00");

    let text = fleet(&emulator, &["outings", "Snowy", "--day", "2026-12-01"]);
    let table = stdout(&text);
    assert!(
        table.starts_with("Snowy from 2026-12-01T00:00:00+00:00"),
        "{table}"
    );
    assert!(table.contains("2 outings"), "{table}");
    assert!(table.contains("07:20  08:20     1h00m  stop"), "{table}");
    assert!(
        stderr(&text).contains("items read in 1 page;"),
        "{}",
        stderr(&text)
    );

    // A wider stop radius swallows the garden: one stay, no outing.
    let wide = json(&fleet(
        &emulator,
        &[
            "outings",
            "Snowy",
            "--day",
            "2026-12-01",
            "--radius",
            "1000",
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        (wide["outings"].as_u64(), wide["stops"].as_u64()),
        (Some(0), Some(1)),
        "{wide:#}"
    );

    // The points on the way are passed six times in three days, each time
    // within a few metres: DBSCAN calls them places unless a place needs more.
    let three_days = [
        "places",
        "Snowy",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-04",
    ];
    let dense = json(&fleet(
        &emulator,
        &[&three_days[..], &["--output", "json"]].concat(),
    ));
    assert_eq!(dense["found"], 5, "{dense:#}");
    let places = json(&fleet(
        &emulator,
        &[&three_days[..], &["--min-fixes", "7", "--output", "json"]].concat(),
    ));
    assert_eq!(places["found"], 2, "{places:#}");
    assert_eq!(places["fixes"], days.len(), "{places:#}");
    let (home, garden) = (&places["places"][0], &places["places"][1]);
    let home_off = (home["latitude"].as_f64().unwrap() - HOME.0) * METRES_PER_DEGREE;
    assert!(home_off.abs() < 5.0, "home first: {places:#}");
    assert_eq!(home["night_share"], 1.0);
    assert_eq!(garden["nights"], 0);
    assert_eq!(garden["visits"], 3, "one visit a day: {places:#}");
    assert_eq!(garden["dwell_s"], 3 * 3600, "an hour a day: {places:#}");
    assert_eq!(
        places["unplaced"],
        3 * 6,
        "the fixes on the way: {places:#}"
    );

    assert_eq!(
        home["visits"], 4,
        "each night, broken by each outing: {places:#}"
    );

    let text = fleet(
        &emulator,
        &[&three_days[..], &["--min-fixes", "7", "--top", "1"]].concat(),
    );
    let table = stdout(&text);
    assert!(
        table.contains("2 places from 126 fixes, 18 in no place (the first 1 shown"),
        "{table}"
    );
    assert!(table.contains("  1  52.37022, 4.89517"), "{table}");
}

#[test]
fn bad_thresholds_are_refused_before_any_aws_call() {
    let run = harness::unreachable;

    let output = run(&["outings", "Snowy", "--radius", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--radius 0 is not a positive number"),
        "{}",
        stderr(&output)
    );

    let output = run(&["outings", "Snowy", "--min-stay", "0s"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--min-stay must be longer than zero"),
        "{}",
        stderr(&output)
    );

    let output = run(&["outings", "Snowy", "--max-gap", "soon"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--max-gap"), "{}", stderr(&output));

    let output = run(&["places", "Snowy", "--min-fixes", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`--min-fixes` must be at least 1"),
        "{}",
        stderr(&output)
    );

    let output = run(&["places", "Snowie"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean `Snowy`"),
        "{}",
        stderr(&output)
    );
}
