//! `fleet rule test` on the sample payloads under examples/ and on the
//! ways an uplink can fail to become an item.

use crate::harness::{self, fleet, stderr, stdout};

fn verdict(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut all = vec!["rule", "test", "--output", "json"];
    all.extend_from_slice(args);
    let output = fleet(dir, &all);
    let json = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&output), stderr(&output)));
    (output.status.code(), json)
}

#[test]
fn a_ttn_v3_uplink_becomes_an_item_with_the_table_keys() {
    let payload = harness::repo("examples/uplink-lgt92.json");
    let (code, v) = verdict(harness::root(), &["--payload", payload.to_str().unwrap()]);

    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["topic"], "backyard-cats/devices/snowy-lgt92/up");
    let item = &v["item"];
    assert_eq!(item["device_id"], serde_json::json!({"S": "snowy-lgt92"}));
    assert_eq!(item["time"], serde_json::json!({"N": "1796120130000"}));
    assert_eq!(item["latitude"], serde_json::json!({"N": "52.370216"}));
    assert_eq!(item["battery"], serde_json::json!({"N": "3.912"}));
    assert_eq!(item["f_cnt"], serde_json::json!({"N": "1234"}));
    assert_eq!(
        item["expires_at"],
        serde_json::json!({"N": (1_796_120_130 + 365 * 86_400).to_string()})
    );
}

#[test]
fn nothing_is_written_and_the_reason_is_given() {
    let no_payload = harness::repo("examples/uplink-no-payload.json");
    let (code, v) = verdict(
        harness::root(),
        &["--payload", no_payload.to_str().unwrap()],
    );
    assert_eq!(code, Some(1));
    assert_eq!(v["why"], "where_not_true");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("`uplink_message` has no key `decoded_payload`"),
        "{v}"
    );

    let lgt92 = harness::repo("examples/uplink-lgt92.json");
    let (code, v) = verdict(
        harness::root(),
        &[
            "--payload",
            lgt92.to_str().unwrap(),
            "--topic",
            "v3/x/devices/y/down",
        ],
    );
    assert_eq!(code, Some(1));
    assert_eq!(v["why"], "topic_mismatch");
}

/// A rule whose SQL leaves out the sort key: PutItem would refuse it, and
/// the verdict says which key is missing.
#[test]
fn a_rule_that_drops_the_sort_key_is_refused_like_put_item() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(harness::repo("fleet.yaml")).unwrap();
    let sql = "SELECT end_device_ids.device_id AS device_id, received_at FROM '+/devices/+/up'";
    let text = sample.replace(
        "  enabled: true\n",
        &format!("  enabled: true\n  sql: \"{sql}\"\n"),
    );
    std::fs::write(dir.path().join("fleet.yaml"), text).unwrap();
    let payload = harness::repo("examples/uplink-lgt92.json");

    let (code, v) = verdict(dir.path(), &["--payload", payload.to_str().unwrap()]);

    assert_eq!(code, Some(1));
    assert_eq!(v["why"], "refused");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("no key attribute `time`"),
        "{v}"
    );
}

#[test]
fn a_payload_that_is_not_json_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), "{\"a\": 1,\n}").unwrap();
    let output = fleet(
        harness::root(),
        &[
            "rule",
            "test",
            "--payload",
            dir.path().join("bad.json").to_str().unwrap(),
        ],
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not JSON"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
}
