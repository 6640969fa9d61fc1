//! What the fleet's topic rule does with one uplink: whether its topic
//! matches, whether WHERE lets it through, and the item the DynamoDBv2
//! action would put, or why PutItem would refuse it. `fleet rule test`
//! prints this; the local IoT Core and `fleet verify` act on it.

use serde_json::{Map, Value};

use crate::iotsql::{
    self, AttributeValue, Context, EvalError, Item, ItemError, KeyType, Outcome, Statement,
    WhereNotTrue,
};
use crate::model::Fleet;
use crate::rule_sql::{PARTITION_KEY, SORT_KEY};

/// The location table's key attributes and their types.
pub const TABLE_KEYS: [(&str, KeyType); 2] = [(PARTITION_KEY, KeyType::S), (SORT_KEY, KeyType::N)];

/// What happens to one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The action would put this item.
    Written(Item),
    TopicMismatch {
        filter: String,
        topic: String,
    },
    WhereNotTrue(WhereNotTrue),
    /// The rule selected something other than an object (`SELECT VALUE`).
    NotAnObject(Value),
    /// The item lacks a key or holds something DynamoDB refuses.
    Refused(ItemError),
}

impl Verdict {
    /// One sentence on why nothing would be written; `None` when an item is.
    pub fn reason(&self) -> Option<String> {
        match self {
            Verdict::Written(_) => None,
            Verdict::TopicMismatch { filter, topic } => Some(format!(
                "the topic `{topic}` does not match the rule's filter `{filter}`"
            )),
            Verdict::WhereNotTrue(w) => Some(format!(
                "the WHERE clause gave {}: {}",
                w.value,
                w.reasons.join("; ")
            )),
            Verdict::NotAnObject(v) => Some(format!(
                "the rule selects {v}, not an object, so there is no item to put"
            )),
            Verdict::Refused(e) => Some(format!("PutItem would refuse the item: {e}")),
        }
    }
}

/// Runs the rule's statement on `payload` as if it arrived on `ctx.topic`.
pub fn judge(statement: &Statement, payload: &Value, ctx: &Context) -> Result<Verdict, EvalError> {
    let outcome = iotsql::evaluate(statement, payload, ctx)?;
    Ok(match outcome {
        Outcome::TopicMismatch { filter, topic } => Verdict::TopicMismatch { filter, topic },
        Outcome::WhereNotTrue(why) => Verdict::WhereNotTrue(why),
        Outcome::Selected(Value::Object(result)) => item(&result),
        Outcome::Selected(other) => Verdict::NotAnObject(other),
    })
}

fn item(result: &Map<String, Value>) -> Verdict {
    match iotsql::dynamodb_item(result, &TABLE_KEYS) {
        Ok(item) => Verdict::Written(item),
        Err(e) => Verdict::Refused(e),
    }
}

/// The topic a device's uplink arrives on under the fleet's topic filter:
/// a `+` after a `devices` level stands for the device, any other `+` for
/// the application, and `#` for `up`.
pub fn uplink_topic(fleet: &Fleet, device: &str) -> String {
    let levels: Vec<&str> = fleet.ttn.topic.split('/').collect();
    levels
        .iter()
        .enumerate()
        .map(|(i, level)| match *level {
            "+" if i > 0 && levels[i - 1] == "devices" => device.to_string(),
            "+" => fleet.ttn.application.clone(),
            "#" => "up".to_string(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// An item's value in the SDK's types: what the DynamoDBv2 action puts,
/// the same from `fleet local` and from `fleet simulate --direct`.
pub fn sdk_value(value: &AttributeValue) -> aws_sdk_dynamodb::types::AttributeValue {
    use aws_sdk_dynamodb::types::AttributeValue as Sdk;

    match value {
        AttributeValue::S(s) => Sdk::S(s.clone()),
        AttributeValue::N(n) => Sdk::N(n.clone()),
        AttributeValue::Bool(b) => Sdk::Bool(*b),
        AttributeValue::Null => Sdk::Null(true),
        AttributeValue::M(map) => {
            Sdk::M(map.iter().map(|(k, v)| (k.clone(), sdk_value(v))).collect())
        }
        AttributeValue::L(list) => Sdk::L(list.iter().map(sdk_value).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(topic: &str) -> Fleet {
        let text = format!(
            "stack: cats\nttn:\n  application: cats\n  topic: \"{topic}\"\ncats:\n  - name: A\n    \
             device: a-tracker\n    dev_eui: 70B3D57ED005A1B2\n"
        );
        crate::fleetfile::from_str(&text, "fleet.yaml".as_ref()).unwrap()
    }

    #[test]
    fn uplink_topics_fill_the_filter() {
        assert_eq!(
            uplink_topic(&fleet("+/devices/+/up"), "a-tracker"),
            "cats/devices/a-tracker/up"
        );
        assert_eq!(
            uplink_topic(&fleet("v3/cats@ttn/devices/+/up"), "a-tracker"),
            "v3/cats@ttn/devices/a-tracker/up"
        );
        assert_eq!(uplink_topic(&fleet("lora/#"), "a-tracker"), "lora/up");
    }
}
