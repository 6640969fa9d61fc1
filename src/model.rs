//! The validated fleet: what `fleet.yaml` declares, with every default
//! filled in and every name already checked against AWS's rules.
//!
//! Nothing builds a [`Fleet`] except the fleet file loader, so code that
//! holds one (the renderer, the commands) can trust it without checking
//! again.

use std::collections::BTreeMap;

use serde::Serialize;

/// The default number of thing shard stacks. Enough for about 2,000 cats
/// within CloudFormation's template size limit; larger fleets raise it.
pub const DEFAULT_SHARDS: u32 = 16;

/// The MQTT topic filter The Things Network's AWS IoT integration publishes
/// uplinks on.
pub const DEFAULT_TOPIC: &str = "+/devices/+/up";

/// How long CloudWatch Logs keeps the rule's error log by default, in days.
pub const DEFAULT_ERROR_LOG_DAYS: u32 = 30;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fleet {
    /// The core stack's name; shard stacks append `-things-NNN`.
    pub stack: String,
    /// The region from the fleet file; the environment may override it.
    pub region: Option<String>,
    /// The IANA time zone days and nights are counted in (`--tz`
    /// overrides it); the machine's when absent.
    pub timezone: Option<String>,
    /// How `fleet map` draws the cats' days.
    pub map: MapSettings,
    pub ttn: Ttn,
    pub table: Table,
    pub thing_type: ThingType,
    pub groups: Vec<Group>,
    pub rule: Rule,
    /// How many thing shard stacks the cats are spread over.
    pub shards: u32,
    pub cats: Vec<Cat>,
}

/// The fleet file's `map` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MapSettings {
    /// The AWS Secrets Manager secret that holds a Mapbox access token;
    /// `fleet map` then draws Mapbox tiles instead of OpenStreetMap's.
    pub mapbox_token_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ttn {
    /// The The Things Network application id the uplinks come from.
    pub application: String,
    /// The MQTT topic filter uplinks arrive on in AWS IoT.
    pub topic: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    /// Days a location is kept before DynamoDB's TTL removes it; `None`
    /// keeps every location.
    pub retention_days: Option<u32>,
    pub point_in_time_recovery: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThingType {
    pub name: String,
    pub description: String,
    /// At most three attributes AWS IoT indexes for fleet searches.
    pub searchable_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub name: String,
    /// The IoT SQL the rule runs: the fleet file's, or the default one
    /// rendered for the topic and retention.
    pub sql: String,
    /// Whether the SQL came from the fleet file rather than the default.
    pub custom_sql: bool,
    pub enabled: bool,
    /// Days the rule's error log keeps failed messages.
    pub error_log_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cat {
    pub name: String,
    /// The tracker's The Things Network device id, which is also the name
    /// of its IoT thing.
    pub device: String,
    /// The tracker's DevEUI, in upper case.
    pub dev_eui: String,
    pub groups: Vec<String>,
    /// Free attributes (colour, owner, ...) stored on the thing.
    pub attributes: BTreeMap<String, String>,
}

impl Fleet {
    /// The cat with this name, ignoring case, as the command line takes it.
    pub fn cat(&self, name: &str) -> Option<&Cat> {
        self.cats.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The name of the log group that keeps messages the rule failed on.
    pub fn error_log_group(&self) -> String {
        format!("/fleet/{}/rule-errors", self.stack)
    }
}
