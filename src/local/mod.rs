//! A local AWS IoT Core for the emulator: an MQTT broker on loopback and
//! the rules engine, so an uplink published locally travels topic -> rule
//! -> table exactly as it does on AWS.
//!
//! The broker is rumqttd, embedded. The rules are the ones deployed at
//! the IoT endpoint fleet points at, read through the IoT API and read
//! again every few seconds, so a rule changed by `fleet apply` takes
//! effect without a restart. Every message on the broker is evaluated
//! against every enabled rule; a DynamoDBv2 action puts its item through
//! the DynamoDB API, and a failure goes to the rule's CloudWatch Logs
//! error action, in the shape AWS IoT writes there. The emulator forwards
//! `iot-data publish` to this broker once `fleet local` registers with it.

mod actions;
mod broker;
mod rules;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::RwLock;

use crate::aws::Aws;
use crate::iotsql::Context;
use crate::rule::{self, Verdict};

pub use broker::Broker;
pub use rules::LocalRule;

/// How often the deployed rules are read again.
pub const RULE_REFRESH: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot start the MQTT broker on {addr}: {reason}")]
    Broker { addr: String, reason: String },
    #[error("cannot read the topic rules at {endpoint}: {message}")]
    Rules { endpoint: String, message: String },
    #[error(
        "fleet local plays AWS IoT Core for the local emulator; point it at one with \
         --endpoint-url or AWS_ENDPOINT_URL (against AWS, IoT Core itself runs the rules)"
    )]
    NoEmulator,
}

/// One message as the broker delivered it.
#[derive(Debug, Clone)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
}

/// The running rules engine: the rules, and the clients its actions use.
pub struct Engine {
    pub rules: Arc<RwLock<Vec<LocalRule>>>,
    actions: actions::Actions,
}

impl Engine {
    pub async fn new(aws: &Aws) -> Result<Engine, LocalError> {
        let rules = rules::read(aws).await?;
        Ok(Engine {
            rules: Arc::new(RwLock::new(rules)),
            actions: actions::Actions::new(aws),
        })
    }

    /// Reads the deployed rules again every [`RULE_REFRESH`].
    pub fn keep_rules_fresh(&self, aws: Aws) {
        let rules = Arc::clone(&self.rules);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RULE_REFRESH).await;
                match rules::read(&aws).await {
                    Ok(fresh) => {
                        let mut current = rules.write().await;
                        if rules::names(&current) != rules::names(&fresh) {
                            tracing::info!("rules now: {}", rules::names(&fresh).join(", "));
                        }
                        *current = fresh;
                    }
                    Err(e) => tracing::warn!("keeping the last rules read: {e}"),
                }
            }
        });
    }

    /// Runs every enabled rule on one message and performs its actions.
    pub async fn handle(&self, message: &Message) {
        let payload: Value = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
        let mut ctx = Context::new(&message.topic, now_millis());
        ctx.raw_payload = Some(message.payload.clone());

        let rules = self.rules.read().await.clone();
        for rule in rules.iter().filter(|r| r.enabled) {
            let verdict = match rule::judge(&rule.statement, &payload, &ctx) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(rule = %rule.name, topic = %message.topic, "cannot evaluate: {e}");
                    continue;
                }
            };
            self.act(rule, message, &payload, &ctx, verdict).await;
        }
    }

    async fn act(
        &self,
        rule: &LocalRule,
        message: &Message,
        payload: &Value,
        ctx: &Context,
        verdict: Verdict,
    ) {
        match verdict {
            Verdict::TopicMismatch { .. } => {}
            Verdict::Written(item) => {
                tracing::debug!(rule = %rule.name, topic = %message.topic, "selected an item of {} attributes", item.len());
                self.actions.run(rule, message, payload, ctx, &item).await;
            }
            Verdict::Refused(e) => {
                tracing::debug!(rule = %rule.name, topic = %message.topic, "PutItem would refuse: {e}");
                let failure = format!("DynamoDB refused the item: {e}");
                self.actions.fail_all(rule, message, ctx, &failure).await;
            }
            other => {
                let reason = other.reason().unwrap_or_default();
                tracing::debug!(rule = %rule.name, topic = %message.topic, "no action: {reason}");
            }
        }
    }
}

/// "N rules (a, b (disabled))", for the start-up line.
pub async fn rules_summary(engine: &Engine) -> String {
    let rules = engine.rules.read().await;
    let noun = if rules.len() == 1 { "rule" } else { "rules" };
    format!(
        "{} {noun} ({})",
        rules.len(),
        rules::names(&rules).join(", ")
    )
}

fn now_millis() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}
