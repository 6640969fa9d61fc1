//! Performing a rule's actions locally: DynamoDBv2 puts the item; when an
//! action fails, the error action writes a record to CloudWatch Logs in the
//! shape AWS IoT uses (rule name, topic, client id, the original payload in
//! base64, and each failed action with its resource and message).

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_dynamodb::types::AttributeValue as DdbValue;
use base64::Engine as _;
use serde_json::{Value, json};

use super::{LocalRule, Message};
use crate::aws::Aws;
use crate::deploy::sdk_message;
use crate::iotsql::{self, Context, Item};

/// The log stream local error records go to.
const ERROR_STREAM: &str = "fleet-local";

pub struct Actions {
    dynamodb: aws_sdk_dynamodb::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

/// One failed action, as the error record lists it.
struct Failure {
    action: &'static str,
    resource: String,
    message: String,
}

impl Actions {
    pub fn new(aws: &Aws) -> Actions {
        Actions {
            dynamodb: aws.dynamodb(),
            logs: aws_sdk_cloudwatchlogs::Client::new(&aws.config),
        }
    }

    /// Puts the item into every DynamoDBv2 action's table.
    pub async fn run(
        &self,
        rule: &LocalRule,
        message: &Message,
        payload: &Value,
        ctx: &Context,
        item: &Item,
    ) {
        let mut failures = Vec::new();
        for template in &rule.tables {
            let table = match iotsql::substitute(template, payload, ctx) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(Failure {
                        action: "DynamoDBv2Action",
                        resource: template.clone(),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            match self.put(&table, item).await {
                Ok(()) => tracing::debug!(rule = %rule.name, %table, "put an item"),
                Err(message) => failures.push(Failure {
                    action: "DynamoDBv2Action",
                    resource: table,
                    message,
                }),
            }
        }
        if !failures.is_empty() {
            self.report(rule, message, ctx, &failures).await;
        }
    }

    /// Records that every DynamoDBv2 action failed with `reason`.
    pub async fn fail_all(&self, rule: &LocalRule, message: &Message, ctx: &Context, reason: &str) {
        let failures: Vec<Failure> = rule
            .tables
            .iter()
            .map(|t| Failure {
                action: "DynamoDBv2Action",
                resource: t.clone(),
                message: reason.to_string(),
            })
            .collect();
        self.report(rule, message, ctx, &failures).await;
    }

    async fn put(&self, table: &str, item: &Item) -> Result<(), String> {
        let item: std::collections::HashMap<String, DdbValue> = item
            .iter()
            .map(|(k, v)| (k.clone(), crate::rule::sdk_value(v)))
            .collect();
        self.dynamodb
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_message)?;
        Ok(())
    }

    /// Writes the error record to the rule's error log group, if it has one.
    async fn report(
        &self,
        rule: &LocalRule,
        message: &Message,
        ctx: &Context,
        failures: &[Failure],
    ) {
        for f in failures {
            tracing::warn!(rule = %rule.name, topic = %message.topic, "{} on {} failed: {}", f.action, f.resource, f.message);
        }
        let Some(group) = &rule.error_log_group else {
            return;
        };

        let record = json!({
            "ruleName": rule.name,
            "topic": message.topic,
            "cloudwatchTraceId": ctx.trace_id,
            "clientId": ctx.client_id.as_deref().unwrap_or("fleet-local"),
            "base64OriginalPayload": base64::engine::general_purpose::STANDARD.encode(&message.payload),
            "failures": failures.iter().map(|f| json!({
                "failedAction": f.action,
                "failedResource": f.resource,
                "errorMessage": f.message,
            })).collect::<Vec<_>>(),
        });
        if let Err(e) = self.log(group, &record.to_string(), ctx.timestamp_ms).await {
            tracing::warn!(rule = %rule.name, "the error action could not write to {group}: {e}");
        }
    }

    async fn log(&self, group: &str, text: &str, timestamp_ms: i64) -> Result<(), String> {
        let created = self
            .logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(ERROR_STREAM)
            .send()
            .await;
        if let Err(e) = created
            && e.code() != Some("ResourceAlreadyExistsException")
        {
            return Err(sdk_message(e));
        }
        let event = InputLogEvent::builder()
            .message(text)
            .timestamp(timestamp_ms)
            .build()
            .map_err(|e| e.to_string())?;
        self.logs
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(ERROR_STREAM)
            .log_events(event)
            .send()
            .await
            .map_err(sdk_message)?;
        Ok(())
    }
}
