//! The JSON Schema of the fleet file, for editors.
//!
//! It describes the same keys the loader accepts (a test holds the two
//! together) with the patterns of [`crate::names`] where a pattern can say
//! them. The loader stays the authority: it checks what a schema cannot,
//! such as duplicates and groups that are not declared.

use serde_json::{Value, json};

use crate::model::{DEFAULT_ERROR_LOG_DAYS, DEFAULT_SHARDS, DEFAULT_TOPIC};

const TTN_ID: &str = "^[a-z0-9](?:-?[a-z0-9]){2,35}$";
const IOT_NAME: &str = "^[a-zA-Z0-9:_-]{1,128}$";
const ATTRIBUTE_VALUE: &str = "^[a-zA-Z0-9_.,@/:#=\\[\\]-]{0,800}$";

pub fn schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "fleet.yaml",
        "description": "A fleet of LoRaWAN cat trackers deployed to AWS IoT by `fleet`.",
        "type": "object",
        "additionalProperties": false,
        "required": ["stack", "ttn", "cats"],
        "properties": {
            "stack": {
                "description": "The CloudFormation stack name; thing shard stacks append -things-NNN.",
                "type": "string",
                "pattern": format!("^[a-zA-Z][a-zA-Z0-9-]{{0,{}}}$", crate::names::MAX_STACK_NAME - 1),
            },
            "region": {
                "description": "The AWS region. AWS_REGION, AWS_DEFAULT_REGION or --region override it.",
                "type": "string",
                "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]+$",
            },
            "timezone": {
                "description": "The IANA time zone days and nights are counted in, e.g. Europe/Amsterdam; --tz overrides it; the machine's when absent.",
                "type": "string",
            },
            "map": map(),
            "ttn": ttn(),
            "table": table(),
            "thing_type": thing_type(),
            "groups": groups(),
            "rule": rule(),
            "shards": {
                "description": "How many thing shard stacks the trackers are spread over. Changing it moves most things between stacks.",
                "type": "integer",
                "minimum": 1,
                "maximum": crate::fleetfile::MAX_SHARDS,
                "default": DEFAULT_SHARDS,
            },
            "cats": cats(),
        },
    })
}

fn map() -> Value {
    json!({
        "description": "How `fleet map` draws the cats' days.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "mapbox_token_secret": {
                "description": "An AWS Secrets Manager secret (name or ARN) holding a Mapbox access token: `fleet map` then draws Mapbox tiles. MAPBOX_TOKEN or --mapbox-token take precedence.",
                "type": "string",
                "pattern": "^[a-zA-Z0-9/_+=.@:-]{1,2048}$",
            },
        },
    })
}

fn ttn() -> Value {
    json!({
        "description": "The Things Network application the uplinks come from.",
        "type": "object",
        "additionalProperties": false,
        "required": ["application"],
        "properties": {
            "application": {"description": "The TTN application id.", "type": "string", "pattern": TTN_ID},
            "topic": {
                "description": "The MQTT topic filter uplinks arrive on in AWS IoT.",
                "type": "string",
                "default": DEFAULT_TOPIC,
            },
        },
    })
}

fn table() -> Value {
    json!({
        "description": "The DynamoDB table that keeps every location.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {
                "description": "Defaults to STACK-locations.",
                "type": "string",
                "pattern": "^[a-zA-Z0-9_.-]{3,255}$",
            },
            "retention_days": {
                "description": "Days before DynamoDB's TTL removes a location, or `none` to keep them all.",
                "oneOf": [
                    {"type": "integer", "minimum": 1, "maximum": 36500},
                    {"const": "none"},
                ],
                "default": "none",
            },
            "point_in_time_recovery": {"type": "boolean", "default": true},
        },
    })
}

fn thing_type() -> Value {
    json!({
        "description": "The IoT thing type every tracker gets.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"description": "Defaults to STACK-tracker.", "type": "string", "pattern": IOT_NAME},
            "description": {"type": "string", "maxLength": 2028},
            "searchable_attributes": {
                "type": "array",
                "maxItems": 3,
                "items": {"type": "string"},
                "default": ["cat", "dev_eui"],
            },
        },
    })
}

fn groups() -> Value {
    json!({
        "description": "IoT thing groups the cats can belong to.",
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": IOT_NAME},
                "description": {"type": "string", "maxLength": 2028},
            },
        },
    })
}

fn rule() -> Value {
    json!({
        "description": "The IoT topic rule that stores each uplink in the table.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {
                "description": "Defaults to the stack name with _ for - and _uplinks appended.",
                "type": "string",
                "pattern": "^[a-zA-Z0-9_]{1,128}$",
            },
            "sql": {
                "description": "IoT SQL (version 2016-03-23). Defaults to fleet's statement for TTN v3 uplinks.",
                "type": "string",
            },
            "enabled": {"type": "boolean", "default": true},
            "error_log_days": {
                "description": "Days the rule's error log keeps failed uplinks.",
                "type": "integer",
                "default": DEFAULT_ERROR_LOG_DAYS,
            },
        },
    })
}

fn cats() -> Value {
    json!({
        "description": "Every cat and its tracker.",
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "device", "dev_eui"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-zA-Z0-9_.-]{1,64}$"},
                "device": {
                    "description": "The tracker's TTN device id; also its IoT thing name.",
                    "type": "string",
                    "pattern": TTN_ID,
                },
                "dev_eui": {"type": "string", "pattern": "^[0-9A-Fa-f]{16}$"},
                "groups": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
                "attributes": {
                    "description": "Free attributes stored on the thing (colour, owner, ...).",
                    "type": "object",
                    "maxProperties": 47,
                    "propertyNames": {
                        "pattern": "^[a-zA-Z0-9_.,@/:#-]{1,128}$",
                        "not": {"enum": crate::fleetfile::RESERVED_ATTRIBUTES},
                    },
                    "additionalProperties": {"type": ["string", "number", "boolean"], "pattern": ATTRIBUTE_VALUE},
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleetfile::*;

    fn keys(schema: &Value) -> Vec<String> {
        let mut keys: Vec<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        list.sort();
        list
    }

    #[test]
    fn schema_keys_are_the_loader_keys() {
        let s = schema();
        let p = &s["properties"];
        assert_eq!(keys(&s), sorted(FLEET_KEYS));
        assert_eq!(keys(&p["ttn"]), sorted(TTN_KEYS));
        assert_eq!(keys(&p["table"]), sorted(TABLE_KEYS));
        assert_eq!(keys(&p["thing_type"]), sorted(THING_TYPE_KEYS));
        assert_eq!(keys(&p["groups"]["items"]), sorted(GROUP_KEYS));
        assert_eq!(keys(&p["rule"]), sorted(RULE_KEYS));
        assert_eq!(keys(&p["cats"]["items"]), sorted(CAT_KEYS));
    }
}
