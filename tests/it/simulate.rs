//! `fleet simulate` as a user runs it: the same uplinks on every run, each
//! one an uplink the rule stores; `--direct` writing the rule's items into
//! the emulator's table; and publishing through the emulator to `fleet
//! local`, whose rules engine puts every uplink's item into the table.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use fleet::aws::Aws;

use crate::deploy::{self, ctx};
use crate::emulator::Emulator;
use crate::harness::{self, stderr, stdout};
use crate::local::Local;

const TABLE: &str = "backyard-cats-locations";

/// Runs `fleet simulate ARGS` on the sample fleet, against `emulator` when
/// given.
fn simulate(emulator: Option<&Emulator>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fleet"));
    command
        .arg("simulate")
        .args(args)
        .current_dir(harness::root())
        .env_remove("FLEET_FILE")
        .env_remove("FLEET_OUTPUT")
        .env_remove("FLEET_TZ")
        .env_remove("AWS_ENDPOINT_URL");
    if let Some(emulator) = emulator {
        command.envs(emulator.env());
    }
    command.output().expect("the fleet binary runs")
}

fn summary(output: &Output) -> serde_json::Value {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(output), stderr(output)))
}

/// How many items the table holds for `device`: a Query on the key,
/// following pagination.
async fn items_of(aws: &Aws, device: &str) -> i32 {
    let ddb = aws.dynamodb();
    let (mut count, mut start) = (0, None);
    loop {
        let out = ddb
            .query()
            .table_name(TABLE)
            .key_condition_expression("device_id = :d")
            .expression_attribute_values(":d", AttributeValue::S(device.into()))
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        count += out.count();
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            return count;
        }
    }
}

#[test]
fn a_dry_run_prints_the_same_uplinks_every_run() {
    let args = [
        "--dry-run",
        "--output",
        "json",
        "--start",
        "2026-12-01",
        "--seed",
        "9",
    ];
    let first = simulate(None, &args);
    let second = simulate(None, &args);

    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(stdout(&first), stdout(&second));
    let lines: Vec<serde_json::Value> = stdout(&first)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 3 * 40, "{} uplinks", lines.len());
    let devices: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["end_device_ids"]["device_id"].as_str().unwrap())
        .collect();
    assert_eq!(devices.len(), 3, "{devices:?}");

    // The first uplink, given to `fleet rule test`, makes an item.
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("uplink.json");
    std::fs::write(&payload, lines[0].to_string()).unwrap();
    let file = harness::repo("fleet.yaml");
    let test = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["rule", "test", "--payload"])
        .arg(&payload)
        .arg("--file")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
}

#[test]
fn to_file_writes_a_file_per_cat() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let args = [
        "--to-file",
        out,
        "--cats",
        "Snowy,misty",
        "--start",
        "2026-12-01",
    ];
    let output = simulate(None, &[&args[..], &["--output", "json"]].concat());

    let summary = summary(&output);
    for cat in summary["cats"].as_array().unwrap() {
        let path = Path::new(out).join(format!("{}.jsonl", cat["device"].as_str().unwrap()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().count() as u64,
            cat["uplinks"].as_u64().unwrap()
        );
    }
    assert_eq!(std::fs::read_dir(out).unwrap().count(), 2);
}

#[test]
fn an_unknown_cat_is_refused_with_the_fleets_cats() {
    let output = simulate(None, &["--dry-run", "--cats", "Snowy,Felix"]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("no cat `Felix` in the fleet file; its cats are Snowy, Tiger, Misty"),
        "{}",
        stderr(&output)
    );
}

/// `--direct` for the sample fleet: every uplink's item, as the default
/// rule makes it, is in the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_writes_an_item_for_every_uplink() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    deploy::apply(&ctx(&aws, &fleet), &fleet, &rendered).await;

    let args = [
        "--direct",
        "--start",
        "2026-12-01",
        "--days",
        "2",
        "--output",
        "json",
    ];
    let summary = summary(&simulate(Some(&emulator), &args));

    assert_eq!(summary["mode"], "direct");
    assert_eq!(summary["sent"], summary["uplinks"], "{summary}");
    assert_eq!(summary["skipped"], serde_json::json!({}));
    for cat in summary["cats"].as_array().unwrap() {
        let device = cat["device"].as_str().unwrap();
        let stored = items_of(&aws, device).await;
        assert_eq!(
            i64::from(stored),
            cat["uplinks"].as_i64().unwrap(),
            "{device}"
        );
    }
    // A recorded summer walk, replayed as Misty's on 10 December, read back.
    let dir = tempfile::tempdir().unwrap();
    let track = dir.path().join("walk.gpx");
    let points: Vec<(f64, f64)> = (0..12)
        .map(|i| (52.37 + f64::from(i) * 0.00045, 4.89))
        .collect();
    let mut gpx = String::from("<gpx version=\"1.1\"><trk><trkseg>\n");
    for (i, (lat, lon)) in points.iter().enumerate() {
        gpx += &format!(
            "<trkpt lat=\"{lat:.6}\" lon=\"{lon}\"><time>2026-07-01T08:{:02}:00Z</time></trkpt>\n",
            i * 5
        );
    }
    std::fs::write(&track, gpx + "</trkseg></trk></gpx>\n").unwrap();
    let replay = [
        "--cats",
        "Misty",
        "--replay",
        track.to_str().unwrap(),
        "--start",
        "2026-12-10",
        "--tz",
        "UTC",
        "--direct",
        "--output",
        "json",
    ];
    let replayed = self::summary(&simulate(Some(&emulator), &replay));
    assert_eq!(
        (replayed["uplinks"].as_u64(), replayed["sent"].as_u64()),
        (Some(12), Some(12)),
        "{replayed}"
    );
    assert_eq!(replayed["bad_fixes"], 0, "a replay makes up no bad fixes");

    let read = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args([
            "locations",
            "Misty",
            "--day",
            "2026-12-10",
            "--tz",
            "UTC",
            "--format",
            "jsonl",
        ])
        .current_dir(harness::root())
        .envs(emulator.env())
        .output()
        .unwrap();
    let fixes: Vec<serde_json::Value> = stdout(&read)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(fixes.len(), 12, "{}", stderr(&read));
    for (i, (fix, (lat, _))) in fixes.iter().zip(&points).enumerate() {
        assert!(
            (fix["latitude"].as_f64().unwrap() - lat).abs() < 1e-6,
            "{fix}"
        );
        let time = fix["time"].as_str().unwrap();
        assert!(
            time.starts_with(&format!("2026-12-10T08:{:02}:0", i * 5)),
            "received seconds after the fix: {time}"
        );
    }

    let two_cats = simulate(
        Some(&emulator),
        &["--replay", track.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!(two_cats.status.code(), Some(2));
    assert!(
        stderr(&two_cats).contains("name her with --cats"),
        "{}",
        stderr(&two_cats)
    );
}

/// Published through the emulator's IoT data plane to `fleet local`: one
/// cat's day, at a high rate, lands in the table item by item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_uplinks_travel_through_the_rule_into_the_table() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    deploy::apply(&ctx(&aws, &fleet), &fleet, &rendered).await;
    let _local = Local::start(&emulator);

    let args = [
        "--cats",
        "Snowy",
        "--start",
        "2026-12-01",
        "--rate",
        "500",
        "--output",
        "json",
    ];
    let summary = summary(&simulate(Some(&emulator), &args));

    assert_eq!(summary["mode"], "publish");
    let uplinks = summary["uplinks"].as_i64().unwrap();
    assert_eq!(summary["sent"].as_i64(), Some(uplinks), "{summary}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut stored = 0;
    while Instant::now() < deadline {
        stored = items_of(&aws, "snowy-lgt92").await;
        if i64::from(stored) == uplinks {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(i64::from(stored), uplinks);
    assert_eq!(items_of(&aws, "tiger-lgt92").await, 0);
}
