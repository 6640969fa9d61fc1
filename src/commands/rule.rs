//! `fleet rule test`: run the fleet's topic rule on a payload, offline,
//! and print the item the DynamoDBv2 action would write, or exactly why
//! nothing would be written.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::cli::Format;
use crate::error::Error;
use crate::iotsql::{self, AttributeValue, Context};
use crate::rule::{self, Verdict};

/// The exit status when nothing would be written.
pub const NOT_WRITTEN: u8 = 1;

/// Prints the verdict; returns whether an item would be written.
pub fn test(
    file: &Path,
    payload_path: &Path,
    topic: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    let fleet = crate::fleetfile::load(file)?;
    let statement =
        iotsql::parse(&fleet.rule.sql).map_err(|e| Error::Usage(format!("rule.sql: {e}")))?;
    let payload = read_payload(payload_path)?;

    let device = payload["end_device_ids"]["device_id"]
        .as_str()
        .unwrap_or(&fleet.cats[0].device);
    let topic = topic.map_or_else(|| rule::uplink_topic(&fleet, device), str::to_string);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let ctx = Context::new(&topic, i64::try_from(now.as_millis()).unwrap_or(i64::MAX));
    let verdict = rule::judge(&statement, &payload, &ctx)
        .map_err(|e| Error::Usage(format!("the rule cannot be evaluated on this payload: {e}")))?;

    match format {
        Format::Json => writeln!(out, "{}", verdict_json(&verdict, &topic))?,
        Format::Text => print_text(&verdict, &topic, out)?,
    }
    Ok(matches!(verdict, Verdict::Written(_)))
}

fn read_payload(path: &Path) -> Result<serde_json::Value, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("cannot read payload `{}`: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "payload `{}` is not JSON: {e} (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

fn print_text(verdict: &Verdict, topic: &str, out: &mut dyn Write) -> Result<(), Error> {
    let Verdict::Written(item) = verdict else {
        let reason = verdict.reason().unwrap_or_default();
        writeln!(out, "nothing would be written (topic {topic}): {reason}")?;
        return Ok(());
    };
    writeln!(out, "the rule would put this item (topic {topic}):")?;
    writeln!(out, "  {:<16} {:<5} VALUE", "ATTRIBUTE", "TYPE")?;
    for (name, value) in item {
        writeln!(
            out,
            "  {name:<16} {:<5} {}",
            value.type_name(),
            render(value)
        )?;
    }
    Ok(())
}

fn verdict_json(verdict: &Verdict, topic: &str) -> serde_json::Value {
    match verdict {
        Verdict::Written(item) => {
            let attributes: serde_json::Map<_, _> = item
                .iter()
                .map(|(k, v)| (k.clone(), json!({ v.type_name(): render(v) })))
                .collect();
            json!({"written": true, "topic": topic, "item": attributes})
        }
        other => {
            let kind = match other {
                Verdict::TopicMismatch { .. } => "topic_mismatch",
                Verdict::WhereNotTrue(_) => "where_not_true",
                Verdict::NotAnObject(_) => "not_an_object",
                _ => "refused",
            };
            json!({"written": false, "topic": topic, "why": kind, "reason": other.reason()})
        }
    }
}

/// A value as DynamoDB's JSON would show it, without the type wrapper.
fn render(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null => "null".into(),
        AttributeValue::M(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", render(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        AttributeValue::L(list) => {
            let inner: Vec<String> = list.iter().map(render).collect();
            format!("[{}]", inner.join(", "))
        }
    }
}
