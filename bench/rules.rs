//! Rules-engine throughput: how many TTN v3 uplinks per second, on one
//! thread, fleet's default rule (`default_sql("+/devices/+/up", Some(365))`)
//! turns into the DynamoDB item it writes, side by side with the code one
//! would write instead of a rules engine: a serde_json field-by-field
//! function that builds the very same item.
//!
//! The payloads are generated from examples/uplink-lgt92.json: a few hundred
//! uplinks of forty trackers, each with its own device id, DevEUI, time
//! (with TTN's varying number of fractional digits), position, battery,
//! radio metadata and frame counter (a string as TTN writes it, sometimes a
//! number, sometimes left out as TTN leaves out zeros). Before anything is
//! timed, both ways must give equal items for every payload.
//!
//! Measured, each as the median of RUNS runs after a warm-up, the runs of
//! all cases interleaved so that a busy machine slows them alike:
//!
//! - `parse`: parsing the statement (what `parse once` saves per message);
//! - `evaluate`: topic, WHERE and SELECT on a parsed payload, statement
//!   parsed once;
//! - `evaluate + dynamodb_item`: the same, then typed as the DynamoDBv2
//!   action writes it and checked against the table's keys;
//! - `hand-written`: the serde_json function below, same input, same item;
//! - `serde_json::from_slice`: parsing the payload text, which either way
//!   costs the same before any of the above, for scale.
//!
//! Run: `cargo bench --bench rules` (release profile). Prints a table, the
//! 1-minute load average at the start and the end, then one JSON line.

use std::hint::black_box;
use std::time::{Duration, Instant};

use fleet::iotsql::{self, AttributeValue, Context, Item, KeyType};
use fleet::rule_sql::default_sql;
use fleet::simulate::rng::Rng;
use serde_json::{Value, json};

const PAYLOADS: usize = 400;
const DEVICES: usize = 40;
const RETENTION_DAYS: u32 = 365;
const RUNS: usize = 9;
/// About how long one run of one case lasts.
const RUN_TARGET: Duration = Duration::from_millis(150);
const WARM_UP: Duration = Duration::from_millis(300);
const KEYS: [(&str, KeyType); 2] = [("device_id", KeyType::S), ("time", KeyType::N)];

const EXAMPLE: &str = include_str!("../examples/uplink-lgt92.json");

/// A value in [lo, hi) rounded to `decimals` places.
fn decimal(rng: &mut Rng, lo: f64, hi: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (rng.range(lo, hi) * scale).round() / scale
}

/// One uplink: the topic it arrives on, its JSON text and its parsed value.
struct Uplink {
    topic: String,
    text: Vec<u8>,
    json: Value,
}

fn uplinks() -> Vec<Uplink> {
    let template: Value = serde_json::from_str(EXAMPLE).expect("the example is JSON");
    let mut rng = Rng::new(0x00C0_FFEE);
    let start = 1_796_120_130_i64; // 2026-12-01T10:15:30Z
    (0..PAYLOADS)
        .map(|i| {
            let device = i % DEVICES;
            let application = ["backyard-cats", "street-cats", "farm-cats"][device % 3];
            let device_id = format!("cat-{device:03}-lgt92");
            let mut up = template.clone();

            up["end_device_ids"]["device_id"] = json!(device_id);
            up["end_device_ids"]["application_ids"]["application_id"] = json!(application);
            up["end_device_ids"]["dev_eui"] = json!(format!("70B3D57ED{device:07X}"));

            let seconds = start + i64::try_from(i).unwrap_or(0) * 97 + rng.below(60) as i64;
            let whole = jiff::Timestamp::from_second(seconds)
                .expect("a time in range")
                .strftime("%Y-%m-%dT%H:%M:%S")
                .to_string();
            let digits = rng.below(10); // TTN writes 0 to 9 of them
            let fraction: String = (0..digits)
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect();
            let received_at = if fraction.is_empty() {
                format!("{whole}Z")
            } else {
                format!("{whole}.{fraction}Z")
            };
            up["received_at"] = json!(received_at);
            up["uplink_message"]["received_at"] = json!(received_at);

            let message = &mut up["uplink_message"];
            let counter = 1 + i / DEVICES * 7 + rng.below(5);
            match rng.below(20) {
                0 => {
                    message.as_object_mut().expect("an object").remove("f_cnt");
                }
                1 | 2 => message["f_cnt"] = json!(counter),
                _ => message["f_cnt"] = json!(counter.to_string()),
            }
            let decoded = &mut message["decoded_payload"];
            decoded["Latitude"] = json!(decimal(&mut rng, 52.30, 52.42, 6));
            decoded["Longitude"] = json!(decimal(&mut rng, 4.80, 4.98, 6));
            decoded["BatV"] = json!(decimal(&mut rng, 3.0, 4.2, 3));
            decoded["MD"] = json!(if rng.below(2) == 0 { "Move" } else { "Still" });
            let gateway = &mut message["rx_metadata"][0];
            gateway["rssi"] = json!(-(60 + rng.below(60) as i64));
            gateway["channel_rssi"] = gateway["rssi"].clone();
            gateway["snr"] = json!(decimal(&mut rng, -20.0, 10.0, 2));
            gateway["time"] = json!(received_at);
            if rng.below(4) == 0 {
                // Heard by one gateway only.
                if let Some(gateways) = message["rx_metadata"].as_array_mut() {
                    gateways.truncate(1);
                }
            }

            let text = serde_json::to_vec(&up).expect("serializable");
            Uplink {
                topic: format!("{application}/devices/{device_id}/up"),
                text,
                json: up,
            }
        })
        .collect()
}

/// What one would write instead of a rules engine: take the fields the
/// default rule takes, the same way, into the same item.
fn hand_written(topic: &str, up: &Value, retention_days: Option<u32>) -> Option<Item> {
    // The rule's FROM '+/devices/+/up'.
    let mut levels = topic.split('/');
    let (_application, devices, _device, last) = (
        levels.next()?,
        levels.next()?,
        levels.next()?,
        levels.next()?,
    );
    if devices != "devices" || last != "up" || levels.next().is_some() {
        return None;
    }

    let ids = up.get("end_device_ids")?;
    let device_id = ids.get("device_id")?.as_str()?;
    let received_at = up.get("received_at")?.as_str()?;
    let message = up.get("uplink_message")?;
    let decoded = message.get("decoded_payload")?;
    // The time to the whole second, in epoch milliseconds.
    let seconds = received_at.parse::<jiff::Timestamp>().ok()?.as_second();

    let mut item = Item::new();
    let mut put = |name: &str, value: AttributeValue| {
        item.insert(name.to_string(), value);
    };
    put("device_id", AttributeValue::S(device_id.to_string()));
    put("time", AttributeValue::N((seconds * 1000).to_string()));
    put("received_at", AttributeValue::S(received_at.to_string()));
    if let Some(v) = ids.get("dev_eui").and_then(scalar) {
        put("dev_eui", v);
    }
    for (field, name) in [
        ("Latitude", "latitude"),
        ("Longitude", "longitude"),
        ("BatV", "battery"),
    ] {
        if let Some(v) = decoded.get(field).and_then(scalar) {
            put(name, v);
        }
    }
    if let Some(gateway) = message.get("rx_metadata").and_then(|g| g.get(0)) {
        for name in ["rssi", "snr"] {
            if let Some(v) = gateway.get(name).and_then(scalar) {
                put(name, v);
            }
        }
    }
    let f_cnt = match message.get("f_cnt") {
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    if let Some(f_cnt) = f_cnt {
        put("f_cnt", AttributeValue::N(f_cnt.to_string()));
    }
    if let Some(days) = retention_days {
        let expires = seconds + i64::from(days) * 86_400;
        put("expires_at", AttributeValue::N(expires.to_string()));
    }
    Some(item)
}

fn scalar(value: &Value) -> Option<AttributeValue> {
    Some(match value {
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null => AttributeValue::Null,
        _ => return None,
    })
}

/// The 1-minute load average (Linux), to report beside the numbers.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The rules engine's item, as `fleet local` gets it.
fn engine_item(statement: &iotsql::Statement, up: &Value, ctx: &Context) -> Option<Item> {
    let outcome = iotsql::evaluate(statement, up, ctx).ok()?;
    iotsql::dynamodb_item(outcome.selected_object()?, &KEYS).ok()
}

/// Equal items, numbers compared as numbers ("4.0" and "4" are one number
/// to DynamoDB).
fn same_item(a: &Item, b: &Item) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
            ka == kb
                && match (va, vb) {
                    (AttributeValue::N(x), AttributeValue::N(y)) => {
                        x.parse::<f64>().ok() == y.parse::<f64>().ok()
                    }
                    _ => va == vb,
                }
        })
}

/// One case: a name and one pass over the payloads, returning how many
/// operations it made.
struct Case<'a> {
    name: &'static str,
    pass: Box<dyn FnMut() -> usize + 'a>,
    /// Passes per run, calibrated after the warm-up.
    passes: usize,
    /// Nanoseconds per operation, one per run.
    samples: Vec<f64>,
}

impl Case<'_> {
    fn warm_up(&mut self) {
        let start = Instant::now();
        let mut passes = 0;
        while start.elapsed() < WARM_UP {
            black_box((self.pass)());
            passes += 1;
        }
        let per_pass = start.elapsed().as_secs_f64() / passes as f64;
        self.passes = ((RUN_TARGET.as_secs_f64() / per_pass).ceil() as usize).max(1);
    }

    fn run(&mut self) {
        let start = Instant::now();
        let mut operations = 0;
        for _ in 0..self.passes {
            operations += black_box((self.pass)());
        }
        let elapsed = start.elapsed();
        self.samples
            .push(elapsed.as_nanos() as f64 / operations as f64);
    }

    fn median(&self) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    }

    fn spread(&self) -> (f64, f64) {
        let min = self.samples.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.samples.iter().copied().fold(0.0, f64::max);
        (min, max)
    }
}

fn main() {
    let load_start = load_average();
    let sql = default_sql("+/devices/+/up", Some(RETENTION_DAYS));
    let statement = iotsql::parse(&sql).expect("the default statement parses");
    let uplinks = uplinks();
    let contexts: Vec<Context> = uplinks
        .iter()
        .enumerate()
        .map(|(i, u)| Context::new(&u.topic, 1_796_120_131_000 + i64::try_from(i).unwrap_or(0)))
        .collect();

    // Both ways must write the same item for every payload.
    let mut attributes = 0;
    for (u, ctx) in uplinks.iter().zip(&contexts) {
        let engine = engine_item(&statement, &u.json, ctx)
            .unwrap_or_else(|| panic!("the rule writes no item for {}", u.topic));
        let hand = hand_written(&u.topic, &u.json, Some(RETENTION_DAYS))
            .unwrap_or_else(|| panic!("the hand-written code writes no item for {}", u.topic));
        assert!(
            same_item(&engine, &hand),
            "the two items differ:\n  rule: {engine:?}\n  hand: {hand:?}"
        );
        attributes += engine.len();
    }

    let mut cases = vec![
        Case {
            name: "parse (the statement)",
            pass: Box::new(|| {
                for _ in 0..10 {
                    black_box(iotsql::parse(black_box(&sql)).is_ok());
                }
                10
            }),
            passes: 1,
            samples: Vec::new(),
        },
        Case {
            name: "evaluate (parsed once)",
            pass: Box::new(|| {
                for (u, ctx) in uplinks.iter().zip(&contexts) {
                    black_box(iotsql::evaluate(&statement, black_box(&u.json), ctx).is_ok());
                }
                uplinks.len()
            }),
            passes: 1,
            samples: Vec::new(),
        },
        Case {
            name: "evaluate + dynamodb_item",
            pass: Box::new(|| {
                for (u, ctx) in uplinks.iter().zip(&contexts) {
                    black_box(engine_item(&statement, black_box(&u.json), ctx));
                }
                uplinks.len()
            }),
            passes: 1,
            samples: Vec::new(),
        },
        Case {
            name: "hand-written serde_json",
            pass: Box::new(|| {
                for u in &uplinks {
                    black_box(hand_written(
                        &u.topic,
                        black_box(&u.json),
                        Some(RETENTION_DAYS),
                    ));
                }
                uplinks.len()
            }),
            passes: 1,
            samples: Vec::new(),
        },
        Case {
            name: "serde_json::from_slice",
            pass: Box::new(|| {
                for u in &uplinks {
                    black_box(serde_json::from_slice::<Value>(black_box(&u.text)).is_ok());
                }
                uplinks.len()
            }),
            passes: 1,
            samples: Vec::new(),
        },
    ];

    for case in &mut cases {
        case.warm_up();
    }
    for _ in 0..RUNS {
        for case in &mut cases {
            case.run();
        }
    }

    let load_end = load_average();

    let ns = |name: &str| {
        cases
            .iter()
            .find(|c| c.name.starts_with(name))
            .map(Case::median)
            .unwrap_or(f64::NAN)
    };
    let evaluate = ns("evaluate (");
    let engine = ns("evaluate +");
    let hand = ns("hand-written");
    let from_slice = ns("serde_json");

    let bytes: usize = uplinks.iter().map(|u| u.text.len()).sum();
    println!(
        "fleet's default rule on {} TTN v3 uplinks of {DEVICES} devices ({} bytes and {:.1} \
         item attributes on average), one thread, median of {RUNS} runs (min-max):",
        uplinks.len(),
        bytes / uplinks.len(),
        attributes as f64 / uplinks.len() as f64,
    );
    println!();
    println!(
        "{:<28} {:>10} {:>14} {:>22}",
        "case", "ns/op", "ops/s", "ns/op spread"
    );
    for case in &cases {
        let median = case.median();
        let (min, max) = case.spread();
        println!(
            "{:<28} {:>10.0} {:>14.0} {:>22}",
            case.name,
            median,
            1e9 / median,
            format!("{min:.0}-{max:.0}"),
        );
    }
    println!();
    println!(
        "rules engine / hand-written: {:.1}x (evaluate + dynamodb_item), {:.1}x (evaluate alone)",
        engine / hand,
        evaluate / hand
    );
    let shown =
        |load: Option<f64>| load.map_or_else(|| "unknown".to_string(), |l| format!("{l:.2}"));
    println!(
        "1-minute load average: {} at the start, {} at the end",
        shown(load_start),
        shown(load_end)
    );

    let results: Vec<Value> = cases
        .iter()
        .map(|c| {
            let (min, max) = c.spread();
            json!({
                "case": c.name,
                "ns_per_op": c.median().round(),
                "ops_per_s": (1e9 / c.median()).round(),
                "min_ns": min.round(),
                "max_ns": max.round(),
            })
        })
        .collect();
    println!(
        "{}",
        json!({
            "bench": "rules",
            "payloads": uplinks.len(),
            "devices": DEVICES,
            "runs": RUNS,
            "load_1m": [load_start, load_end],
            "cases": results,
            "engine_over_hand_written": (engine / hand * 100.0).round() / 100.0,
            "evaluate_over_hand_written": (evaluate / hand * 100.0).round() / 100.0,
            "engine_over_from_slice": (engine / from_slice * 100.0).round() / 100.0,
        })
    );
}
