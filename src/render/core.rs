//! The core stack: location table, error log, the rule's roles, the topic
//! rule, the thing type and the thing groups.

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::{StackTemplate, base, logical_id, set};
use crate::model::Fleet;

const BASE: &str = include_str!("../../templates/core.yaml");

/// The logical id of the sample group in the base template, which is
/// replaced by the fleet's own groups.
const SAMPLE_GROUP: &str = "GroupIndoor";

fn base_template() -> &'static Value {
    static TEMPLATE: OnceLock<Value> = OnceLock::new();
    TEMPLATE.get_or_init(|| base(BASE))
}

pub fn render(fleet: &Fleet) -> StackTemplate {
    let mut t = base_template().clone();
    let stack = &fleet.stack;
    let description = format!("fleet {stack}: {}", t["Description"].as_str().unwrap_or(""));
    set(&mut t, &["Description"], description);

    let r = &mut t["Resources"];
    table(r, fleet);
    set(
        r,
        &["RuleErrorLog", "Properties", "LogGroupName"],
        fleet.error_log_group(),
    );
    set(
        r,
        &["RuleErrorLog", "Properties", "RetentionInDays"],
        fleet.rule.error_log_days,
    );
    let rule = &mut r["UplinkRule"]["Properties"];
    set(rule, &["RuleName"], fleet.rule.name.as_str());
    set(rule, &["TopicRulePayload", "Sql"], fleet.rule.sql.as_str());
    set(
        rule,
        &["TopicRulePayload", "RuleDisabled"],
        !fleet.rule.enabled,
    );
    let thing_type = &mut r["TrackerType"]["Properties"];
    set(
        thing_type,
        &["ThingTypeName"],
        fleet.thing_type.name.as_str(),
    );
    let properties = &mut thing_type["ThingTypeProperties"];
    set(
        properties,
        &["ThingTypeDescription"],
        fleet.thing_type.description.as_str(),
    );
    set(
        properties,
        &["SearchableAttributes"],
        json!(fleet.thing_type.searchable_attributes),
    );
    groups(r, fleet);

    let body = serde_json::to_string(&t).expect("templates serialize");
    StackTemplate {
        stack_name: stack.clone(),
        file_name: "core.json".into(),
        template: t,
        body,
    }
}

fn table(resources: &mut Value, fleet: &Fleet) {
    let p = &mut resources["LocationTable"]["Properties"];
    set(p, &["TableName"], fleet.table.name.as_str());
    set(
        p,
        &["TimeToLiveSpecification", "Enabled"],
        fleet.table.retention_days.is_some(),
    );
    let pitr = fleet.table.point_in_time_recovery;
    set(
        p,
        &[
            "PointInTimeRecoverySpecification",
            "PointInTimeRecoveryEnabled",
        ],
        pitr,
    );
}

fn groups(resources: &mut Value, fleet: &Fleet) {
    let map = resources.as_object_mut().expect("Resources is a mapping");
    let sample = map
        .remove(SAMPLE_GROUP)
        .expect("the base template has a sample group");

    for group in &fleet.groups {
        let mut resource = sample.clone();
        let p = &mut resource["Properties"];
        set(p, &["ThingGroupName"], group.name.as_str());
        match &group.description {
            Some(d) => set(
                p,
                &["ThingGroupProperties", "ThingGroupDescription"],
                d.as_str(),
            ),
            None => {
                p.as_object_mut().map(|o| o.remove("ThingGroupProperties"));
            }
        }
        map.insert(logical_id("Group", &group.name), resource);
    }
}
