//! The topic rules deployed at the IoT endpoint, read through the IoT API
//! and parsed once per read.

use aws_sdk_iot::types::TopicRule;

use super::LocalError;
use crate::aws::Aws;
use crate::deploy::sdk_message;
use crate::iotsql::{self, Statement};

/// A deployed rule as the local engine runs it.
#[derive(Debug, Clone)]
pub struct LocalRule {
    pub name: String,
    pub statement: Statement,
    pub enabled: bool,
    /// The DynamoDBv2 actions' table names (may hold `${...}` templates).
    pub tables: Vec<String>,
    /// The CloudWatch Logs error action's log group, if any.
    pub error_log_group: Option<String>,
    /// Actions of other kinds, which the local engine does not perform.
    pub other_actions: usize,
}

/// Reads and parses every rule; a rule whose SQL the engine cannot run is
/// left out with a warning, as the rest still deserve to run.
pub async fn read(aws: &Aws) -> Result<Vec<LocalRule>, LocalError> {
    let iot = aws.iot();
    let error = |message| LocalError::Rules {
        endpoint: aws.describe(),
        message,
    };
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = iot
            .list_topic_rules()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| error(sdk_message(e)))?;
        names.extend(
            out.rules()
                .iter()
                .filter_map(|r| r.rule_name().map(str::to_string)),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }

    let mut rules = Vec::with_capacity(names.len());
    for name in names {
        let out = iot
            .get_topic_rule()
            .rule_name(&name)
            .send()
            .await
            .map_err(|e| error(sdk_message(e)))?;
        let Some(rule) = out.rule() else { continue };
        match local_rule(&name, rule) {
            Ok(rule) => rules.push(rule),
            Err(e) => tracing::warn!(rule = %name, "not run locally: {e}"),
        }
    }
    Ok(rules)
}

fn local_rule(name: &str, rule: &TopicRule) -> Result<LocalRule, iotsql::SqlError> {
    let statement = iotsql::parse(rule.sql().unwrap_or_default())?;
    let tables: Vec<String> = rule
        .actions()
        .iter()
        .filter_map(|a| a.dynamo_dbv2())
        .filter_map(|a| a.put_item().map(|p| p.table_name().to_string()))
        .collect();
    let other_actions = rule.actions().len() - tables.len();
    if other_actions > 0 {
        tracing::info!(rule = %name, "{other_actions} action(s) of other kinds are not performed locally");
    }
    let error_log_group = rule
        .error_action()
        .and_then(|a| a.cloudwatch_logs())
        .map(|c| c.log_group_name().to_string());

    Ok(LocalRule {
        name: name.to_string(),
        statement,
        enabled: !rule.rule_disabled().unwrap_or(false),
        tables,
        error_log_group,
        other_actions,
    })
}

/// The rules' names, for logs.
pub fn names(rules: &[LocalRule]) -> Vec<String> {
    rules
        .iter()
        .map(|r| {
            if r.enabled {
                r.name.clone()
            } else {
                format!("{} (disabled)", r.name)
            }
        })
        .collect()
}
