//! Deploying the rendered sample fleet to the emulator, then checking
//! every resource through the service that owns it (IoT, DynamoDB, IAM),
//! not through CloudFormation's word.

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType, TimeToLiveStatus};
use fleet::deploy::{self, Outcome};
use fleet::model::Fleet;
use fleet::render::{self, Rendered};

use crate::emulator::Emulator;
use crate::harness;

fn sample() -> (Fleet, Rendered) {
    let fleet = fleet::fleetfile::load(&harness::repo("fleet.yaml")).expect("the sample is valid");
    let rendered = render::render(&fleet).expect("the sample renders");
    (fleet, rendered)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_fleet_deploys_and_every_resource_exists() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let cfn = aws.cloudformation();
    let (fleet, rendered) = sample();

    for stack in rendered.stacks() {
        let deployed = deploy::deploy(&cfn, &emulator.url, stack, &fleet.stack)
            .await
            .unwrap();
        assert_eq!(deployed.outcome, Outcome::Created, "{}", stack.stack_name);
        let status = deploy::current_status(&cfn, &stack.stack_name)
            .await
            .unwrap();
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
}

async fn check_table(aws: &fleet::aws::Aws, fleet: &Fleet) -> String {
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
async fn check_role(aws: &fleet::aws::Aws, fleet: &Fleet, table_arn: &str) -> String {
    let iot = aws.iot();
    let rule = iot
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

async fn check_rule(aws: &fleet::aws::Aws, fleet: &Fleet, role_arn: &str) {
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

async fn check_registry(aws: &fleet::aws::Aws, fleet: &Fleet) {
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
    }
}

/// A second deployment of the same templates is a no-op: the change set
/// holds no changes and no stack operation runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploying_the_same_template_again_changes_nothing() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let cfn = aws.cloudformation();
    let (fleet, rendered) = sample();
    let shard = &rendered.shards[0].stack;

    let first = deploy::deploy(&cfn, &emulator.url, shard, &fleet.stack)
        .await
        .unwrap();
    let second = deploy::deploy(&cfn, &emulator.url, shard, &fleet.stack)
        .await
        .unwrap();

    assert_eq!(first.outcome, Outcome::Created);
    assert_eq!(second.outcome, Outcome::Unchanged);
}

/// `fleet apply` as a user runs it: the sample deploys, the things are in
/// the registry, and a second apply changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_apply_deploys_the_sample_and_a_second_apply_changes_nothing() {
    let emulator = Emulator::start();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_fleet"))
            .args(["apply", "--output", "json"])
            .current_dir(harness::root())
            .envs(emulator.env())
            .output()
            .unwrap()
    };

    let first = run();
    assert!(first.status.success(), "{}", harness::stderr(&first));
    let outcomes = |o: &std::process::Output| -> Vec<String> {
        harness::stdout(o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["outcome"].to_string())
            .collect()
    };
    assert_eq!(outcomes(&first), vec!["\"created\""; 4]);

    let aws = emulator.aws().await;
    let thing = aws
        .iot()
        .describe_thing()
        .thing_name("snowy-lgt92")
        .send()
        .await
        .unwrap();
    assert_eq!(
        thing.attributes().unwrap().get("cat").map(String::as_str),
        Some("Snowy")
    );

    let second = run();
    assert!(second.status.success(), "{}", harness::stderr(&second));
    assert_eq!(outcomes(&second), vec!["\"unchanged\""; 4]);
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
    assert!(!message.contains("panicked"), "{message}");
}
