//! Deploying fleets to the emulator: the sample end to end with every
//! resource checked through the service that owns it (IoT, DynamoDB, IAM),
//! not through CloudFormation's word; then the lifecycle: idempotence,
//! adding and removing cats, changing the rule, failures, destroy.

use std::sync::Arc;

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_dynamodb::types::{AttributeValue, KeyType, ScalarAttributeType, TimeToLiveStatus};
use fleet::aws::Aws;
use fleet::deploy::{self, Ctx, apply, destroy, plan, stack};
use fleet::model::Fleet;
use fleet::progress::Silent;
use fleet::render::{self, Rendered};

use crate::emulator::Emulator;
use crate::harness;

pub fn sample() -> (Fleet, Rendered) {
    load(&std::fs::read_to_string(harness::repo("fleet.yaml")).unwrap())
}

pub fn load(text: &str) -> (Fleet, Rendered) {
    let fleet = fleet::fleetfile::from_str(text, "fleet.yaml".as_ref()).expect("a valid fleet");
    let rendered = render::render(&fleet).expect("the fleet renders");
    (fleet, rendered)
}

pub fn ctx(aws: &Aws, fleet: &Fleet) -> Ctx {
    Ctx::new(
        aws,
        &fleet.stack,
        Arc::new(Silent),
        deploy::never_interrupted(),
    )
}

pub async fn apply(ctx: &Ctx, fleet: &Fleet, rendered: &Rendered) -> apply::Summary {
    apply::apply(ctx, fleet, rendered, &|_| false)
        .await
        .expect("apply succeeds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_fleet_deploys_and_every_resource_exists() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = sample();
    let ctx = ctx(&aws, &fleet);

    let summary = apply(&ctx, &fleet, &rendered).await;

    assert_eq!(summary.created.len(), 4, "{summary:?}");
    for stack in rendered.stacks() {
        let status = stack::status(&ctx, &stack.stack_name).await.unwrap();
        assert_eq!(
            status,
            Some(StackStatus::CreateComplete),
            "{}",
            stack.stack_name
        );
    }
    let table_arn = check_table(&aws, &fleet).await;
    let role_arn = check_role(&aws, &fleet, &table_arn).await;
    check_rule(&aws, &fleet, &role_arn).await;
    check_registry(&aws, &fleet).await;
    let outputs: std::collections::HashMap<_, _> = summary.outputs.into_iter().collect();
    assert_eq!(outputs.get("TableName"), Some(&fleet.table.name));
}

async fn check_table(aws: &Aws, fleet: &Fleet) -> String {
    let ddb = aws.dynamodb();
    let table = ddb
        .describe_table()
        .table_name(&fleet.table.name)
        .send()
        .await
        .unwrap();
    let table = table.table().expect("the table exists");

    let keys: Vec<_> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(
        keys,
        [("device_id", KeyType::Hash), ("time", KeyType::Range)]
    );
    let types: Vec<_> = table
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name(), a.attribute_type().clone()))
        .collect();
    assert!(
        types.contains(&("device_id", ScalarAttributeType::S)),
        "{types:?}"
    );
    assert!(
        types.contains(&("time", ScalarAttributeType::N)),
        "{types:?}"
    );

    let ttl = ddb
        .describe_time_to_live()
        .table_name(&fleet.table.name)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().expect("TTL is described");
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));

    table.table_arn().expect("the table has an ARN").to_string()
}

/// The rule's role: trusted by IoT only, allowed only PutItem on the table.
async fn check_role(aws: &Aws, fleet: &Fleet, table_arn: &str) -> String {
    let rule = aws
        .iot()
        .get_topic_rule()
        .rule_name(&fleet.rule.name)
        .send()
        .await
        .unwrap();
    let action = &rule.rule().unwrap().actions()[0];
    let role_arn = action.dynamo_dbv2().unwrap().role_arn().to_string();
    let role_name = role_arn.rsplit('/').next().unwrap();

    let iam = aws.iam();
    let role = iam.get_role().role_name(role_name).send().await.unwrap();
    let trust = decode_policy(role.role().unwrap().assume_role_policy_document().unwrap());
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"], "iot.amazonaws.com",
        "{trust}"
    );

    let names = iam
        .list_role_policies()
        .role_name(role_name)
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), ["put-location"]);
    let policy = iam
        .get_role_policy()
        .role_name(role_name)
        .policy_name("put-location")
        .send()
        .await
        .unwrap();
    let policy = decode_policy(policy.policy_document());
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{policy}");
    assert_eq!(statements[0]["Action"], "dynamodb:PutItem", "{policy}");
    assert_eq!(statements[0]["Resource"], table_arn, "{policy}");
    role_arn
}

/// IAM returns policy documents URL-encoded.
fn decode_policy(document: &str) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or_else(|e| panic!("policy {decoded}: {e}"))
}

async fn check_rule(aws: &Aws, fleet: &Fleet, role_arn: &str) {
    let rule = aws
        .iot()
        .get_topic_rule()
        .rule_name(&fleet.rule.name)
        .send()
        .await
        .unwrap();
    let rule = rule.rule().expect("the rule exists");

    assert_eq!(rule.sql(), Some(fleet.rule.sql.as_str()));
    assert_eq!(rule.aws_iot_sql_version(), Some("2016-03-23"));
    assert_eq!(rule.rule_disabled(), Some(false));
    let put = rule.actions()[0].dynamo_dbv2().unwrap();
    assert_eq!(put.put_item().unwrap().table_name(), fleet.table.name);
    assert_eq!(put.role_arn(), role_arn);
    let logs = rule
        .error_action()
        .and_then(|a| a.cloudwatch_logs())
        .expect("an error action");
    assert_eq!(logs.log_group_name(), fleet.error_log_group());
}

/// Every thing has the fleet's type, all its attributes and its groups.
pub async fn check_registry(aws: &Aws, fleet: &Fleet) {
    let iot = aws.iot();
    let thing_type = iot
        .describe_thing_type()
        .thing_type_name(&fleet.thing_type.name)
        .send()
        .await
        .unwrap();
    let properties = thing_type.thing_type_properties().unwrap();
    assert_eq!(
        properties.searchable_attributes(),
        fleet.thing_type.searchable_attributes
    );

    for group in &fleet.groups {
        let found = iot
            .describe_thing_group()
            .thing_group_name(&group.name)
            .send()
            .await
            .unwrap();
        let description = found
            .thing_group_properties()
            .and_then(|p| p.thing_group_description());
        assert_eq!(
            description,
            group.description.as_deref(),
            "group {}",
            group.name
        );
    }

    for cat in &fleet.cats {
        let thing = iot
            .describe_thing()
            .thing_name(&cat.device)
            .send()
            .await
            .unwrap();
        assert_eq!(
            thing.thing_type_name(),
            Some(fleet.thing_type.name.as_str()),
            "{}",
            cat.device
        );
        let attributes = thing.attributes().expect("the thing has attributes");
        assert_eq!(attributes.get("cat"), Some(&cat.name), "{}", cat.device);
        assert_eq!(
            attributes.get("dev_eui"),
            Some(&cat.dev_eui),
            "{}",
            cat.device
        );
        assert_eq!(
            attributes.get("fleet"),
            Some(&fleet.stack),
            "{}",
            cat.device
        );
        for (key, value) in &cat.attributes {
            assert_eq!(attributes.get(key), Some(value), "{} {key}", cat.device);
        }

        let groups = iot
            .list_thing_groups_for_thing()
            .thing_name(&cat.device)
            .send()
            .await
            .unwrap();
        let mut names: Vec<&str> = groups
            .thing_groups()
            .iter()
            .filter_map(|g| g.group_name())
            .collect();
        names.sort();
        let mut wanted: Vec<&str> = cat.groups.iter().map(String::as_str).collect();
        wanted.sort();
        assert_eq!(names, wanted, "{}", cat.device);
    }
}

/// A second apply of the same file changes nothing: no stack operation,
/// no registry call, and plan agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_changes_nothing_and_plan_says_so() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = sample();
    let ctx = ctx(&aws, &fleet);

    apply(&ctx, &fleet, &rendered).await;
    let second = apply(&ctx, &fleet, &rendered).await;
    let plan = plan::plan(&ctx, &fleet, &rendered).await.unwrap();

    assert_eq!(second.unchanged.len(), 4, "{second:?}");
    assert!(second.created.is_empty() && second.updated.is_empty() && second.deleted.is_empty());
    assert_eq!(second.registry_changes, 0);
    assert!(!plan.has_changes(), "{plan:?}");
}

/// `fleet apply` as a user runs it, then `fleet plan`'s exit status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_apply_deploys_the_sample_and_plan_then_exits_0() {
    let emulator = Emulator::start();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fleet"))
            .args(args)
            .current_dir(harness::root())
            .envs(emulator.env())
            .output()
            .unwrap()
    };

    let planned = run(&["plan"]);
    assert_eq!(
        planned.status.code(),
        Some(3),
        "{}",
        harness::stderr(&planned)
    );
    let first = run(&["apply", "--output", "json"]);
    assert!(first.status.success(), "{}", harness::stderr(&first));
    let summary: serde_json::Value =
        serde_json::from_str(harness::stdout(&first).lines().last().unwrap()).unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["created"].as_array().unwrap().len(), 4, "{summary}");
    assert_eq!(
        summary["outputs"]["TableName"], "backyard-cats-locations",
        "{summary}"
    );

    let aws = emulator.aws().await;
    let thing = aws
        .iot()
        .describe_thing()
        .thing_name("snowy-lgt92")
        .send()
        .await
        .unwrap();
    assert_eq!(
        thing.attributes().unwrap().get("owner").map(String::as_str),
        Some("ana")
    );

    let again = run(&["plan"]);
    assert_eq!(again.status.code(), Some(0), "{}", harness::stderr(&again));
    assert!(
        harness::stdout(&again).contains("no changes"),
        "{}",
        harness::stdout(&again)
    );
}

/// With nothing listening, apply says which endpoint it could not reach.
#[test]
fn apply_names_an_unreachable_endpoint() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["apply", "--endpoint-url", "http://127.0.0.1:9"])
        .current_dir(harness::root())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let message = harness::stderr(&output);

    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("http://127.0.0.1:9"), "{message}");
    assert!(message.contains("connection refused"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

/// Destroy keeps the location table and its items, says so, and is
/// harmless twice; `--delete-data` then removes the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_keeps_the_table_and_its_items_unless_told_otherwise() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = sample();
    let ctx = ctx(&aws, &fleet);
    apply(&ctx, &fleet, &rendered).await;
    let ddb = aws.dynamodb();
    ddb.put_item()
        .table_name(&fleet.table.name)
        .item("device_id", AttributeValue::S("snowy-lgt92".into()))
        .item("time", AttributeValue::N("1764583200000".into()))
        .send()
        .await
        .unwrap();

    let first = destroy::destroy(&ctx, &fleet, false).await.unwrap();
    let second = destroy::destroy(&ctx, &fleet, false).await.unwrap();

    assert_eq!(first.stacks.len(), 4);
    assert!(
        matches!(first.table, destroy::TableFate::Kept { .. }),
        "{:?}",
        first.table
    );
    assert!(second.stacks.is_empty());
    for stack in rendered.stacks() {
        assert_eq!(stack::status(&ctx, &stack.stack_name).await.unwrap(), None);
    }
    let thing = aws
        .iot()
        .describe_thing()
        .thing_name("snowy-lgt92")
        .send()
        .await;
    assert!(thing.is_err(), "the thing is gone");
    let items = ddb
        .scan()
        .table_name(&fleet.table.name)
        .send()
        .await
        .unwrap();
    assert_eq!(items.count(), 1, "the location survived");

    let deleted = destroy::destroy(&ctx, &fleet, true).await.unwrap();
    assert!(
        matches!(deleted.table, destroy::TableFate::Deleted { .. }),
        "{:?}",
        deleted.table
    );
    assert!(
        ddb.describe_table()
            .table_name(&fleet.table.name)
            .send()
            .await
            .is_err()
    );
}

/// `fleet status` shows each stack and each cat with her last valid fix,
/// and notices a thing that went missing and a thing tagged for the fleet
/// that the file lacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_stacks_cats_and_drift() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = sample();
    apply(&ctx(&aws, &fleet), &fleet, &rendered).await;
    // Snowy's newest item is a collar's "no fix" marker; the fix before it counts.
    for (time, latitude, battery) in [
        ("1796090400000", "52.3702", "3.95"),
        ("1796094000000", "268.435455", "3.41"),
        ("1796086800000", "52.3701", "3.97"),
    ] {
        aws.dynamodb()
            .put_item()
            .table_name(&fleet.table.name)
            .item("device_id", AttributeValue::S("snowy-lgt92".into()))
            .item("time", AttributeValue::N(time.into()))
            .item("latitude", AttributeValue::N(latitude.into()))
            .item("longitude", AttributeValue::N("4.8951".into()))
            .item("battery", AttributeValue::N(battery.into()))
            .send()
            .await
            .unwrap();
    }
    let iot = aws.iot();
    iot.delete_thing()
        .thing_name("tiger-lgt92")
        .send()
        .await
        .unwrap();
    let stray = aws_sdk_iot::types::AttributePayload::builder()
        .attributes("fleet", "backyard-cats")
        .build();
    iot.create_thing()
        .thing_name("stray-tracker")
        .attribute_payload(stray)
        .send()
        .await
        .unwrap();
    // Of the fleet's type but without the `fleet` attribute: on AWS an
    // attribute the type does not make searchable cannot be listed by.
    iot.create_thing()
        .thing_name("typed-stray")
        .thing_type_name(&fleet.thing_type.name)
        .send()
        .await
        .unwrap();

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["status", "--output", "json"])
        .current_dir(harness::root())
        .envs(emulator.env())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", harness::stderr(&output));
    let status: serde_json::Value = serde_json::from_str(&harness::stdout(&output)).unwrap();

    let stacks = status["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 4);
    assert!(
        stacks.iter().all(|s| s["status"] == "CREATE_COMPLETE"),
        "{status}"
    );
    let cat = |name: &str| {
        status["cats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["cat"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(cat("Snowy")["in_sync"], true, "{status}");
    assert_eq!(cat("Tiger")["thing"], false, "{status}");
    assert_eq!(
        status["extra_things"],
        serde_json::json!(["stray-tracker", "typed-stray"])
    );
    let last = &cat("Snowy")["last_fix"];
    assert_eq!(
        last["time"], "2026-12-01T03:00:00+01:00",
        "Europe/Amsterdam: {status}"
    );
    assert_eq!(
        (last["latitude"].as_f64(), last["battery"].as_f64()),
        (Some(52.3702), Some(3.95))
    );
    assert_eq!(
        cat("Tiger")["last_fix"],
        serde_json::Value::Null,
        "{status}"
    );

    let text = std::process::Command::new(env!("CARGO_BIN_EXE_fleet"))
        .arg("status")
        .current_dir(harness::root())
        .envs(emulator.env())
        .output()
        .unwrap();
    let screen = harness::stdout(&text);
    let snowy = screen
        .lines()
        .find(|l| l.starts_with("Snowy"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        snowy.contains("2026-12-01 03:00 (") && snowy.contains("3.95 V"),
        "{screen}"
    );
}
