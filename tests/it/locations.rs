//! `fleet locations` against the emulator: one cat's day, in time order,
//! read with a Query (other cats' and other days' items are not read),
//! invalid fixes dropped and counted, in every output format.

use std::process::{Command, Output};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::deploy::{self, ctx};
use crate::emulator::Emulator;
use crate::harness::{self, stderr, stdout};

/// 2026-12-01T00:00:00Z in epoch milliseconds.
const DAY: i64 = 1_796_083_200_000;

async fn put(aws: &fleet::aws::Aws, device: &str, time_ms: i64, lat: f64, lon: f64) {
    aws.dynamodb()
        .put_item()
        .table_name("backyard-cats-locations")
        .item("device_id", AttributeValue::S(device.into()))
        .item("time", AttributeValue::N(time_ms.to_string()))
        .item("latitude", AttributeValue::N(lat.to_string()))
        .item("longitude", AttributeValue::N(lon.to_string()))
        .item("battery", AttributeValue::N("3.9".into()))
        .send()
        .await
        .unwrap();
}

fn locations(emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["locations", "Snowy", "--day", "2026-12-01", "--tz", "UTC"])
        .args(args)
        .current_dir(harness::root())
        .envs(emulator.env())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cats_day_in_time_order_in_every_format() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    deploy::apply(&ctx(&aws, &fleet), &fleet, &rendered).await;

    // Put out of order: a walk of six fixes, five minutes apart, going north.
    for i in [3, 0, 5, 1, 4, 2] {
        let minute = 60_000;
        put(
            &aws,
            "snowy-lgt92",
            DAY + 8 * 3_600_000 + i * 5 * minute,
            52.37 + i as f64 * 0.0005,
            4.89,
        )
        .await;
    }
    put(
        &aws,
        "snowy-lgt92",
        DAY + 12 * 3_600_000,
        268.435455,
        268.435455,
    )
    .await;
    put(&aws, "snowy-lgt92", DAY - 3_600_000, 52.37, 4.89).await;
    put(&aws, "tiger-lgt92", DAY + 9 * 3_600_000, 52.38, 4.90).await;

    let jsonl = locations(&emulator, &["--format", "jsonl"]);
    assert!(jsonl.status.success(), "{}", stderr(&jsonl));
    let fixes: Vec<serde_json::Value> = stdout(&jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(fixes.len(), 6, "{}", stdout(&jsonl));
    assert!(fixes.iter().all(|f| f["device"] == "snowy-lgt92"));
    let times: Vec<&str> = fixes.iter().map(|f| f["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "in time order");
    assert_eq!(times[0], "2026-12-01T08:00:00Z");
    let report = stderr(&jsonl);
    assert!(
        report.contains("7 items read"),
        "only this cat's day is read: {report}"
    );
    assert!(report.contains("1 no GPS fix"), "{report}");

    let geojson = locations(&emulator, &["--format", "geojson"]);
    let collection: serde_json::Value = serde_json::from_str(&stdout(&geojson)).unwrap();
    let features = collection["features"].as_array().unwrap();
    let points = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .count();
    assert_eq!(points, 6);
    let first_point = features
        .iter()
        .find(|f| f["geometry"]["type"] == "Point")
        .unwrap();
    assert_eq!(
        first_point["geometry"]["coordinates"],
        serde_json::json!([4.89, 52.37]),
        "longitude first"
    );
    assert!(
        features
            .iter()
            .any(|f| f["geometry"]["type"] == "LineString"),
        "{collection}"
    );

    let csv = locations(&emulator, &["--format", "csv"]);
    let lines: Vec<String> = stdout(&csv).lines().map(str::to_string).collect();
    assert_eq!(
        lines[0],
        "device,time_utc,time_local,latitude,longitude,battery,rssi,snr"
    );
    assert_eq!(lines.len(), 7);

    let gpx = locations(&emulator, &["--format", "gpx"]);
    let text = stdout(&gpx);
    assert!(
        text.contains(r#"<gpx version="1.1""#) && text.contains("<trkpt"),
        "{text}"
    );
    assert_eq!(text.matches("<wpt ").count(), 6);
}

#[test]
fn an_unknown_cat_or_time_is_a_clear_error() {
    let output = harness::unreachable(&["locations", "Snowie"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean `Snowy`"),
        "{}",
        stderr(&output)
    );

    let output = harness::unreachable(&["locations", "Snowy", "--day", "yesterday"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--day `yesterday`"),
        "{}",
        stderr(&output)
    );
}
