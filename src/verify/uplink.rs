//! The end-to-end check: a synthetic TTN v3 uplink for a real device,
//! published through the IoT data plane, awaited in the table.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde_json::{Value, json};

use super::diagnose;
use crate::aws::Aws;
use crate::deploy::{Ctx, sdk_message};
use crate::model::{Cat, Fleet};
use crate::rule;
use crate::rule_sql::{PARTITION_KEY, SORT_KEY};

/// What happened to one device's test uplink.
#[derive(Debug, Clone, Serialize)]
pub struct EndToEnd {
    pub device: String,
    pub topic: String,
    pub ok: bool,
    /// Publish to item readable, when it arrived.
    pub latency_ms: Option<u64>,
    /// Why it did not arrive, most likely cause first.
    pub diagnosis: Vec<String>,
    /// Whether the test item was left in the table.
    pub kept: bool,
}

/// Publishes a test uplink for `cat` and waits up to `timeout` for its item.
pub async fn end_to_end(
    ctx: &Ctx,
    aws: &Aws,
    fleet: &Fleet,
    cat: &Cat,
    timeout: Duration,
    keep: bool,
) -> EndToEnd {
    let topic = rule::uplink_topic(fleet, &cat.device);
    let seconds = unique_second(ctx, fleet, &cat.device).await;
    let payload = synthetic_uplink(fleet, cat, seconds);
    let time_key = (seconds * 1000).to_string();

    let started = Instant::now();
    if let Err(e) = publish(ctx, aws, &topic, &payload).await {
        let diagnosis = vec![format!("publishing to {topic} failed: {e}")];
        return EndToEnd {
            device: cat.device.clone(),
            topic,
            ok: false,
            latency_ms: None,
            diagnosis,
            kept: false,
        };
    }

    let arrived = wait_for_item(ctx, fleet, &cat.device, &time_key, timeout).await;
    let latency_ms =
        arrived.then(|| u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    if arrived && !keep {
        delete_item(ctx, fleet, &cat.device, &time_key).await;
    }
    let diagnosis = if arrived {
        Vec::new()
    } else {
        diagnose::diagnose(ctx, fleet, &topic, &payload).await
    };
    EndToEnd {
        device: cat.device.clone(),
        topic,
        ok: arrived,
        latency_ms,
        diagnosis,
        kept: arrived && keep,
    }
}

/// A second of the current minute-range for which the device has no
/// item yet, so the test uplink cannot be confused with a real fix.
async fn unique_second(ctx: &Ctx, fleet: &Fleet, device: &str) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    for candidate in now..now + 60 {
        if !item_exists(ctx, fleet, device, &(candidate * 1000).to_string()).await {
            return candidate;
        }
    }
    now
}

/// A TTN v3 uplink as a Dragino LGT-92 tracker sends it, marked as a test
/// by its frame counter of 0 and a `fleet_verify` field in the payload.
pub fn synthetic_uplink(fleet: &Fleet, cat: &Cat, seconds: u64) -> Value {
    let received_at = rfc3339(seconds);
    json!({
        "end_device_ids": {
            "device_id": cat.device,
            "application_ids": {"application_id": fleet.ttn.application},
            "dev_eui": cat.dev_eui,
        },
        "received_at": received_at,
        "uplink_message": {
            "f_port": 2,
            "f_cnt": 0,
            "decoded_payload": {"Latitude": 0.0, "Longitude": 0.0, "BatV": 0.0, "fleet_verify": true},
            "rx_metadata": [{"gateway_ids": {"gateway_id": "fleet-verify"}, "rssi": 0, "snr": 0.0}],
            "received_at": received_at,
        },
    })
}

/// `seconds` since the epoch as RFC 3339 in UTC, as TTN writes times.
fn rfc3339(seconds: u64) -> String {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    jiff::Timestamp::from_second(seconds)
        .map_or_else(|_| "1970-01-01T00:00:00Z".into(), |t| t.to_string())
}

/// Publishes through the IoT data plane: the account's `iot:Data-ATS`
/// endpoint on AWS, or the endpoint fleet is pointed at (the emulator).
async fn publish(ctx: &Ctx, aws: &Aws, topic: &str, payload: &Value) -> Result<(), String> {
    let endpoint = match &aws.endpoint {
        Some(url) => url.clone(),
        None => format!(
            "https://{}",
            ctx.data_endpoint().await.map_err(|e| e.to_string())?
        ),
    };
    let config = aws_sdk_iotdataplane::config::Builder::from(&aws.config)
        .endpoint_url(endpoint)
        .build();
    let client = aws_sdk_iotdataplane::Client::from_conf(config);
    let body = serde_json::to_vec(payload).expect("JSON serializes");
    client
        .publish()
        .topic(topic)
        .qos(1)
        .payload(aws_sdk_iotdataplane::primitives::Blob::new(body))
        .send()
        .await
        .map_err(sdk_message)?;
    Ok(())
}

async fn item_exists(ctx: &Ctx, fleet: &Fleet, device: &str, time: &str) -> bool {
    let out = ctx
        .dynamodb
        .get_item()
        .table_name(&fleet.table.name)
        .key(PARTITION_KEY, AttributeValue::S(device.into()))
        .key(SORT_KEY, AttributeValue::N(time.into()))
        .consistent_read(true)
        .send()
        .await;
    out.ok().is_some_and(|o| o.item().is_some())
}

async fn wait_for_item(
    ctx: &Ctx,
    fleet: &Fleet,
    device: &str,
    time: &str,
    timeout: Duration,
) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if item_exists(ctx, fleet, device, time).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn delete_item(ctx: &Ctx, fleet: &Fleet, device: &str, time: &str) {
    let result = ctx
        .dynamodb
        .delete_item()
        .table_name(&fleet.table.name)
        .key(PARTITION_KEY, AttributeValue::S(device.into()))
        .key(SORT_KEY, AttributeValue::N(time.into()))
        .send()
        .await;
    if let Err(e) = result {
        tracing::warn!(
            "could not delete the test item of {device}: {}",
            sdk_message(e)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_120_130), "2026-12-01T10:15:30Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
