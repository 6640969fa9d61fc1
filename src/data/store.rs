//! Querying the location table for one device over a time window.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::window::Window;
use crate::deploy::{Ctx, DeployError, sdk_message};
use crate::rule_sql::{PARTITION_KEY, SORT_KEY};

/// One stored item, as DynamoDB returns it.
pub type Item = HashMap<String, AttributeValue>;

/// The attributes a fix is made of; the rest of an item is not read.
const PROJECTED: &[&str] = &[
    PARTITION_KEY,
    SORT_KEY,
    "received_at",
    "latitude",
    "longitude",
    "battery",
    "rssi",
    "snr",
];

/// `#a0`, `#a1`... for each projected attribute (some, like `time`, are
/// reserved words), and the projection expression naming them all.
fn projection() -> (HashMap<String, String>, String) {
    let names = PROJECTED
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("#a{i}"), (*a).to_string()))
        .collect();
    let expression = (0..PROJECTED.len())
        .map(|i| format!("#a{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    (names, expression)
}

/// What a query read, for the user and for benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub pages: usize,
    pub items: usize,
}

/// Every item of `device` in `window`, oldest first.
pub async fn items(
    ctx: &Ctx,
    table: &str,
    device: &str,
    window: &Window,
) -> Result<(Vec<Item>, Cost), DeployError> {
    let (names, projection) = projection();
    let from = window.from.as_millisecond().to_string();
    // The window is half-open; BETWEEN is inclusive, so stop a millisecond short.
    let to = (window.to.as_millisecond() - 1).to_string();

    let mut items = Vec::new();
    let mut cost = Cost::default();
    let mut start: Option<Item> = None;
    loop {
        let out = ctx
            .dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("#a0 = :device AND #a1 BETWEEN :from AND :to")
            .set_expression_attribute_names(Some(names.clone()))
            .expression_attribute_values(":device", AttributeValue::S(device.into()))
            .expression_attribute_values(":from", AttributeValue::N(from.clone()))
            .expression_attribute_values(":to", AttributeValue::N(to.clone()))
            .projection_expression(&projection)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| ctx.call_error(table, "Query", sdk_message(e)))?;
        cost.pages += 1;
        items.extend(out.items().iter().cloned());
        match out.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    cost.items = items.len();
    Ok((items, cost))
}

/// The newest `limit` items of `device`, oldest first: what `fleet status`
/// reads to show each cat's last fix. A table that does not exist (the
/// fleet is not deployed yet) has no items.
pub async fn latest(
    ctx: &Ctx,
    table: &str,
    device: &str,
    limit: i32,
) -> Result<Vec<Item>, DeployError> {
    let (names, projection) = projection();

    let out = ctx
        .dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("#a0 = :device")
        .set_expression_attribute_names(Some(names))
        .expression_attribute_values(":device", AttributeValue::S(device.into()))
        .projection_expression(projection)
        .scan_index_forward(false)
        .limit(limit)
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return Ok(Vec::new());
        }
        Err(e) => return Err(ctx.call_error(table, "Query", sdk_message(e))),
    };
    let mut items = out.items().to_vec();
    items.reverse();
    Ok(items)
}
