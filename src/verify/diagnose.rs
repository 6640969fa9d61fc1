//! Why a test uplink did not reach the table, most likely cause first:
//! the table or rule missing or disabled, then what the deployed rule does
//! with the uplink when evaluated here, then what its error action
//! recorded, then the delivery path itself.

use serde_json::Value;

use crate::deploy::{Ctx, sdk_message};
use crate::iotsql::{self, Context};
use crate::model::Fleet;
use crate::rule::{self, Verdict};

pub async fn diagnose(ctx: &Ctx, fleet: &Fleet, topic: &str, payload: &Value) -> Vec<String> {
    let mut causes = Vec::new();

    if let Err(e) = ctx
        .dynamodb
        .describe_table()
        .table_name(&fleet.table.name)
        .send()
        .await
    {
        causes.push(format!(
            "the table `{}` cannot be read ({}): there is nowhere to write",
            fleet.table.name,
            sdk_message(e)
        ));
    }

    let deployed = ctx
        .iot
        .get_topic_rule()
        .rule_name(&fleet.rule.name)
        .send()
        .await;
    let rule = match deployed.as_ref().ok().and_then(|out| out.rule()) {
        Some(rule) => rule,
        None => {
            causes.push(format!(
                "the rule `{}` does not exist: run `fleet apply`",
                fleet.rule.name
            ));
            return causes;
        }
    };
    if rule.rule_disabled().unwrap_or(false) {
        causes.push(format!(
            "the rule `{}` is disabled: set `rule.enabled: true` and apply",
            fleet.rule.name
        ));
    }
    if let Some(cause) = evaluate_here(rule.sql().unwrap_or_default(), topic, payload) {
        causes.push(cause);
    }
    if let Some(group) = rule
        .error_action()
        .and_then(|a| a.cloudwatch_logs())
        .map(|c| c.log_group_name())
    {
        causes.extend(error_records(ctx, group, topic).await);
    }

    if causes.is_empty() {
        causes.push(
            "the rule accepts this uplink and nothing recorded a failure: no rules engine \
             delivered it in time. Against the emulator, is `fleet local` running? On AWS, \
             check the IoT data endpoint, the rule's metrics, or raise --timeout"
                .to_string(),
        );
    }
    causes
}

/// What the deployed rule does with the uplink, evaluated here; `None`
/// when it would write an item.
fn evaluate_here(sql: &str, topic: &str, payload: &Value) -> Option<String> {
    let statement = match iotsql::parse(sql) {
        Ok(s) => s,
        Err(e) => {
            return Some(format!(
                "the deployed rule's SQL cannot be checked here: {e}"
            ));
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let ctx = Context::new(topic, i64::try_from(now.as_millis()).unwrap_or(i64::MAX));
    match rule::judge(&statement, payload, &ctx) {
        Ok(Verdict::Written(_)) => None,
        Ok(verdict) => verdict
            .reason()
            .map(|r| format!("the deployed rule writes nothing for this uplink: {r}")),
        Err(e) => Some(format!(
            "the deployed rule cannot evaluate this uplink: {e}"
        )),
    }
}

/// The failures the rule's error action recorded for messages on `topic`.
async fn error_records(ctx: &Ctx, group: &str, topic: &str) -> Vec<String> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(ctx.config());
    let Ok(out) = logs.filter_log_events().log_group_name(group).send().await else {
        return Vec::new();
    };
    let latest = out
        .events()
        .iter()
        .rev()
        .filter_map(|e| e.message())
        .find_map(|m| {
            let record: Value = serde_json::from_str(m).ok()?;
            (record["topic"] == topic).then_some(record)
        });
    let Some(record) = latest else {
        return Vec::new();
    };

    record["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "the rule's error action recorded: {} on `{}` failed: {}",
                f["failedAction"].as_str().unwrap_or("an action"),
                f["failedResource"].as_str().unwrap_or("?"),
                f["errorMessage"].as_str().unwrap_or("?")
            )
        })
        .collect()
}
