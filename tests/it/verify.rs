//! `fleet verify` against the emulator and `fleet local`: it passes on a
//! fresh apply of the sample, and names the cause when the rule drops the
//! sort key, when the rule is disabled, when its topic filter does not
//! match the fleet's uplinks, and when the table is gone.

use std::process::{Command, Output};

use crate::deploy::{self, ctx, load};
use crate::emulator::Emulator;
use crate::harness::{self, stderr, stdout};
use crate::local::Local;

fn verify(emulator: &Emulator, dir: &std::path::Path) -> (Option<i32>, serde_json::Value) {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["verify", "--output", "json", "--timeout", "3"])
        .current_dir(dir)
        .envs(emulator.env())
        .output()
        .unwrap();
    let report = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&output), stderr(&output)));
    (output.status.code(), report)
}

fn failed_check<'a>(report: &'a serde_json::Value, name: &str) -> &'a str {
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    assert_eq!(check["ok"], false, "{report}");
    check["detail"].as_str().unwrap()
}

fn diagnosis(report: &serde_json::Value) -> String {
    let trip = &report["end_to_end"][0];
    assert_eq!(trip["ok"], false, "{report}");
    trip["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Deploys `text` as the fleet, starts `fleet local`, and returns the
/// directory holding the sample fleet file that `verify` checks against.
async fn deployed(emulator: &Emulator, text: &str) -> (tempfile::TempDir, Local) {
    let aws = emulator.aws().await;
    let (fleet, rendered) = load(text);
    deploy::apply(&ctx(&aws, &fleet), &fleet, &rendered).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fleet.yaml"), text).unwrap();
    (dir, Local::start(emulator))
}

fn sample() -> String {
    std::fs::read_to_string(harness::repo("fleet.yaml")).unwrap()
}

fn with_sql(text: &str, sql: &str) -> String {
    text.replace(
        "  enabled: true\n",
        &format!("  enabled: true\n  sql: \"{sql}\"\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_on_a_fresh_apply_of_the_sample() {
    let emulator = Emulator::start();
    let (dir, _local) = deployed(&emulator, &sample()).await;

    let (code, report) = verify(&emulator, dir.path());

    assert_eq!(code, Some(0), "{report}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true),
        "{report}"
    );
    let trip = &report["end_to_end"][0];
    assert_eq!(trip["ok"], true, "{report}");
    assert!(trip["latency_ms"].as_u64().is_some());
    let aws = emulator.aws().await;
    let items = aws
        .dynamodb()
        .scan()
        .table_name("backyard-cats-locations")
        .send()
        .await
        .unwrap();
    assert_eq!(items.count(), 0, "the test item is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_that_drops_the_sort_key_is_diagnosed() {
    let emulator = Emulator::start();
    let sql = "SELECT end_device_ids.device_id AS device_id, received_at FROM '+/devices/+/up'";
    let (dir, _local) = deployed(&emulator, &with_sql(&sample(), sql)).await;

    let (code, report) = verify(&emulator, dir.path());

    assert_eq!(code, Some(1));
    let why = diagnosis(&report);
    assert!(why.contains("no key attribute `time`"), "{why}");
    assert!(why.contains("error action recorded"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_rule_is_diagnosed() {
    let emulator = Emulator::start();
    let disabled = sample().replace("  enabled: true\n", "  enabled: false\n");
    let (dir, _local) = deployed(&emulator, &disabled).await;

    let (code, report) = verify(&emulator, dir.path());

    assert_eq!(code, Some(1));
    assert!(
        failed_check(&report, "rule").contains("disabled"),
        "{report}"
    );
    assert!(
        diagnosis(&report).starts_with("the rule `backyard_cats_uplinks` is disabled"),
        "{report}"
    );
}

/// The deployed rule listens on the v3 topic while the fleet's uplinks
/// arrive on TTN's integration topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_filter_that_misses_the_uplinks_is_diagnosed() {
    let emulator = Emulator::start();
    let v3 = sample().replace(
        "  topic: \"+/devices/+/up\"",
        "  topic: \"v3/+/devices/+/up\"",
    );
    let (_, _local) = deployed(&emulator, &v3).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fleet.yaml"), sample()).unwrap();

    let (code, report) = verify(&emulator, dir.path());

    assert_eq!(code, Some(1));
    assert!(
        failed_check(&report, "rule").contains("SQL is not the one"),
        "{report}"
    );
    let why = diagnosis(&report);
    assert!(
        why.contains("does not match the rule's filter `v3/+/devices/+/up`"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_diagnosed() {
    let emulator = Emulator::start();
    let (dir, _local) = deployed(&emulator, &sample()).await;
    let aws = emulator.aws().await;
    aws.dynamodb()
        .delete_table()
        .table_name("backyard-cats-locations")
        .send()
        .await
        .unwrap();

    let (code, report) = verify(&emulator, dir.path());

    assert_eq!(code, Some(1));
    assert!(
        failed_check(&report, "table").contains("backyard-cats-locations"),
        "{report}"
    );
    assert!(
        diagnosis(&report).contains("the table `backyard-cats-locations` cannot be read"),
        "{report}"
    );
}
