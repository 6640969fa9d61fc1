//! `fleet local` against the emulator: a message published to its MQTT
//! broker travels topic -> rule -> table; an item the table refuses lands
//! in the rule's error log; a rule changed by `apply` takes effect without
//! a restart.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::deploy::{self, ctx, load};
use crate::emulator::Emulator;
use crate::harness;

/// A running `fleet local`, stopped when dropped.
pub struct Local {
    child: Child,
    mqtt: String,
}

impl Local {
    pub fn start(emulator: &Emulator) -> Local {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fleet"))
            .args(["local", "--mqtt-port", "0"])
            .current_dir(harness::root())
            .envs(emulator.env())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let mqtt = line
            .trim()
            .strip_prefix("fleet-local listening on mqtt://")
            .unwrap_or_else(|| panic!("{line:?}"))
            .to_string();
        Local { child, mqtt }
    }

    /// Publishes with a real MQTT client (paho, from the emulator's
    /// environment), as a TTN integration would.
    fn publish(&self, topic: &str, payload: &str) {
        let (host, port) = self.mqtt.split_once(':').unwrap();
        let script = "import sys, paho.mqtt.publish as p; \
                      p.single(sys.argv[1], sys.stdin.read(), hostname=sys.argv[2], port=int(sys.argv[3]), qos=1)";
        let mut child = Command::new(harness::repo(".emulator/venv/bin/python"))
            .args(["-c", script, topic, host, port])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TOPIC: &str = "backyard-cats/devices/snowy-lgt92/up";

fn uplink() -> String {
    std::fs::read_to_string(harness::repo("examples/uplink-lgt92.json")).unwrap()
}

/// Polls until `check` gives a value or ten seconds pass.
async fn eventually<T, F, Fut>(mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(v) = check().await {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uplink_published_to_the_broker_lands_in_the_table() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    deploy::apply(&ctx(&aws, &fleet), &fleet, &rendered).await;
    let local = Local::start(&emulator);

    local.publish(TOPIC, &uplink());

    let ddb = aws.dynamodb();
    let item = eventually(|| async {
        let out = ddb
            .get_item()
            .table_name(&fleet.table.name)
            .key("device_id", AttributeValue::S("snowy-lgt92".into()))
            .key("time", AttributeValue::N("1796120130000".into()))
            .send()
            .await
            .ok()?;
        out.item().cloned()
    })
    .await
    .expect("the item arrives");
    assert_eq!(
        item.get("latitude"),
        Some(&AttributeValue::N("52.370216".into()))
    );
    assert_eq!(
        item.get("battery"),
        Some(&AttributeValue::N("3.912".into()))
    );
}

/// A rule whose SQL drops the sort key: PutItem fails, the error action
/// records the failure in the rule's log group; then a fixed rule, applied
/// while `fleet local` runs, is picked up without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_reach_the_error_log_and_rule_changes_need_no_restart() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let sample = std::fs::read_to_string(harness::repo("fleet.yaml")).unwrap();
    let sql = "SELECT end_device_ids.device_id AS device_id FROM '+/devices/+/up'";
    let broken = sample.replace(
        "  enabled: true\n",
        &format!("  enabled: true\n  sql: \"{sql}\"\n"),
    );
    let (fleet, rendered) = load(&broken);
    let ctx = ctx(&aws, &fleet);
    deploy::apply(&ctx, &fleet, &rendered).await;
    let local = Local::start(&emulator);

    local.publish(TOPIC, &uplink());

    let logs = aws_sdk_cloudwatchlogs::Client::new(&aws.config);
    let group = fleet.error_log_group();
    let record = eventually(|| async {
        let out = logs
            .filter_log_events()
            .log_group_name(&group)
            .send()
            .await
            .ok()?;
        out.events()
            .first()
            .and_then(|e| e.message().map(str::to_string))
    })
    .await
    .expect("an error record");
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["ruleName"], fleet.rule.name);
    assert_eq!(record["topic"], TOPIC);
    assert_eq!(record["failures"][0]["failedAction"], "DynamoDBv2Action");
    assert!(
        record["failures"][0]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("`time`"),
        "{record}"
    );

    let (fixed, fixed_rendered) = deploy::sample();
    deploy::apply(&ctx, &fixed, &fixed_rendered).await;
    tokio::time::sleep(fleet::local::RULE_REFRESH + Duration::from_millis(500)).await;
    local.publish(TOPIC, &uplink());
    let ddb = aws.dynamodb();
    let count = eventually(|| async {
        let out = ddb.scan().table_name(&fixed.table.name).send().await.ok()?;
        (out.count() > 0).then_some(out.count())
    })
    .await;
    assert_eq!(count, Some(1), "the fixed rule wrote the item");
}
