//! A fleet over time, against the emulator: adding and removing cats,
//! changing the rule, a resource that fails to create, and a fleet of a
//! thousand cats applied and destroyed.

use fleet::deploy::{DeployError, apply, destroy, plan, plan::StackAction};

use crate::deploy::{self, ctx, load};
use crate::emulator::Emulator;
use crate::render::generated_fleet;

const NEW_CAT: &str = "  - name: Pebble\n    device: pebble-lgt92\n    dev_eui: 70B3D57ED005B001\n    \
                       groups: [indoor]\n    attributes:\n      owner: cleo\n";

fn sample_text() -> String {
    std::fs::read_to_string(crate::harness::repo("fleet.yaml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_cat_redeploys_only_its_shard_and_removing_it_touches_no_other() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = load(&generated_fleet(40, 8));
    let ctx = ctx(&aws, &fleet);
    deploy::apply(&ctx, &fleet, &rendered).await;

    let with_cat = generated_fleet(40, 8)
        .replace("cats:\n", &format!("cats:\n{NEW_CAT}"))
        .replace("groups: [indoor]", "groups: [street-0]");
    let (bigger, bigger_rendered) = load(&with_cat);
    let added = deploy::apply(&ctx, &bigger, &bigger_rendered).await;

    let touched = added.created.len() + added.updated.len();
    assert_eq!(touched, 1, "exactly one shard stack changes: {added:?}");
    assert_eq!(added.unchanged.len(), bigger_rendered.stacks().count() - 1);
    let thing = aws
        .iot()
        .describe_thing()
        .thing_name("pebble-lgt92")
        .send()
        .await
        .unwrap();
    assert_eq!(
        thing.thing_type_name(),
        Some(bigger.thing_type.name.as_str())
    );
    assert_eq!(
        added.registry_changes, 2,
        "type and attributes, one group: {added:?}"
    );

    let removed = deploy::apply(&ctx, &fleet, &rendered).await;
    assert_eq!(
        removed.created.len() + removed.updated.len() + removed.deleted.len(),
        1,
        "{removed:?}"
    );
    assert!(
        aws.iot()
            .describe_thing()
            .thing_name("pebble-lgt92")
            .send()
            .await
            .is_err()
    );
    assert_eq!(
        removed.registry_changes, 0,
        "the other things are untouched"
    );
    deploy::check_registry(&aws, &fleet).await;
}

/// Groups change in the file: Misty leaves `night-owls` and Snowy joins
/// it. Plan and apply make exactly those registry changes, put back an
/// attribute someone edited by hand, and leave alone a group fleet does
/// not manage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_changes_move_only_the_memberships_fleet_manages() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    let ctx = ctx(&aws, &fleet);
    deploy::apply(&ctx, &fleet, &rendered).await;
    let iot = aws.iot();
    iot.create_thing_group()
        .thing_group_name("vet-visits")
        .send()
        .await
        .unwrap();
    iot.add_thing_to_thing_group()
        .thing_group_name("vet-visits")
        .thing_name("misty-lgt92")
        .send()
        .await
        .unwrap();
    let colour = aws_sdk_iot::types::AttributePayload::builder()
        .attributes("colour", "black")
        .merge(true)
        .build();
    iot.update_thing()
        .thing_name("tiger-lgt92")
        .attribute_payload(colour)
        .send()
        .await
        .unwrap();

    let text = sample_text()
        .replace(
            "    groups: [indoor, night-owls]\n",
            "    groups: [indoor]\n",
        )
        .replacen(
            "    groups: [indoor]\n",
            "    groups: [indoor, night-owls]\n",
            1,
        );
    let (moved, moved_rendered) = load(&text);
    let planned = plan::plan(&ctx, &moved, &moved_rendered).await.unwrap();
    let mut changes: Vec<String> = planned
        .registry
        .iter()
        .map(|c| format!("{}: {c}", c.thing()))
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        [
            "misty-lgt92: leave group night-owls",
            "snowy-lgt92: join group night-owls",
            "tiger-lgt92: type backyard-cats-tracker, attributes cat, colour, dev_eui, fleet, owner",
        ]
    );

    let summary = deploy::apply(&ctx, &moved, &moved_rendered).await;
    assert_eq!(summary.registry_changes, 3, "{summary:?}");
    for (thing, want) in [
        ("snowy-lgt92", ["indoor", "night-owls"]),
        ("misty-lgt92", ["indoor", "vet-visits"]),
    ] {
        let listed = iot
            .list_thing_groups_for_thing()
            .thing_name(thing)
            .send()
            .await
            .unwrap();
        let mut groups: Vec<&str> = listed
            .thing_groups()
            .iter()
            .filter_map(|g| g.group_name())
            .collect();
        groups.sort_unstable();
        assert_eq!(groups, want, "{thing}");
    }
    let tiger = iot
        .describe_thing()
        .thing_name("tiger-lgt92")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tiger.attributes().and_then(|a| a.get("colour")),
        Some(&"ginger-tabby".to_string())
    );
    let again = plan::plan(&ctx, &moved, &moved_rendered).await.unwrap();
    assert!(again.registry.is_empty(), "{:?}", again.registry);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_rule_sql_shows_a_modify_and_apply_updates_the_rule() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    let ctx = ctx(&aws, &fleet);
    deploy::apply(&ctx, &fleet, &rendered).await;

    let sql =
        "SELECT end_device_ids.device_id AS device_id, timestamp() AS time FROM '+/devices/+/up'";
    let text = sample_text().replace(
        "  enabled: true\n",
        &format!("  enabled: true\n  sql: \"{sql}\"\n"),
    );
    let (changed, changed_rendered) = load(&text);
    let planned = plan::plan(&ctx, &changed, &changed_rendered).await.unwrap();

    let core = planned
        .stacks
        .iter()
        .find(|s| s.stack == changed.stack)
        .unwrap();
    assert_eq!(core.action, StackAction::Update, "{planned:?}");
    let rule = core
        .changes
        .iter()
        .find(|c| c.logical_id == "UplinkRule")
        .expect("the rule changes");
    assert_eq!(rule.action, "Modify");
    assert_eq!(
        planned
            .stacks
            .iter()
            .filter(|s| s.action != StackAction::Unchanged)
            .count(),
        1
    );

    let summary = deploy::apply(&ctx, &changed, &changed_rendered).await;
    assert_eq!(summary.updated, std::slice::from_ref(&changed.stack));
    let deployed = aws
        .iot()
        .get_topic_rule()
        .rule_name(&changed.rule.name)
        .send()
        .await
        .unwrap();
    assert_eq!(deployed.rule().unwrap().sql(), Some(sql));
}

/// A table of the same name already exists outside the stack, so the
/// table fails to create: fleet names the stack, the logical resource, its
/// type and CloudFormation's reason, and the state the stack is left in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_that_fails_to_create_is_reported_with_the_stack_state() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };

    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = deploy::sample();
    let ctx = ctx(&aws, &fleet);
    let ddb = aws.dynamodb();
    ddb.create_table()
        .table_name(&fleet.table.name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let error = apply::apply(&ctx, &fleet, &rendered, &|_| false)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, DeployError::Failed { .. }), "{message}");
    assert!(
        message.contains("stack `backyard-cats` ended in ROLLBACK_COMPLETE"),
        "{message}"
    );
    assert!(
        message.contains("LocationTable (AWS::DynamoDB::Table)"),
        "{message}"
    );
    assert!(message.contains("already exists"), "{message}");
    assert!(message.contains("fleet apply --yes"), "{message}");

    ddb.delete_table()
        .table_name(&fleet.table.name)
        .send()
        .await
        .unwrap();
    let refused = apply::apply(&ctx, &fleet, &rendered, &|_| false)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, DeployError::NeedsDeletion { .. }),
        "{refused}"
    );
    let recreated = apply::apply(&ctx, &fleet, &rendered, &|_| true)
        .await
        .unwrap();
    assert_eq!(recreated.created.len(), 4, "{recreated:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_of_1000_cats_applies_and_destroys() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let (fleet, rendered) = load(&generated_fleet(1000, 16));
    let ctx = ctx(&aws, &fleet);

    let summary = deploy::apply(&ctx, &fleet, &rendered).await;
    assert_eq!(summary.created.len(), 17);
    let things = aws
        .iot()
        .list_things()
        .attribute_name("fleet")
        .attribute_value(&fleet.stack);
    let mut count = 0;
    let mut pages = things.into_paginator().send();
    while let Some(page) = pages.next().await {
        count += page.unwrap().things().len();
    }
    assert_eq!(count, 1000);

    // Nothing to change: a few reads per stack, and the registry read by
    // pages and per group, never call by call for each thing.
    let before = emulator.requests();
    let again = deploy::apply(&ctx, &fleet, &rendered).await;
    let requests = emulator.requests() - before;
    assert_eq!(again.unchanged.len(), 17);
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(again.registry_changes, 0);
    assert!(
        requests < 200,
        "a no-op apply of 1,000 cats sent {requests} requests"
    );

    let destroyed = destroy::destroy(&ctx, &fleet, true).await.unwrap();
    assert_eq!(destroyed.stacks.len(), 17);
    let left = aws
        .iot()
        .list_things()
        .attribute_name("fleet")
        .attribute_value(&fleet.stack)
        .send()
        .await
        .unwrap();
    assert!(left.things().is_empty());
}

/// Ctrl-C while CloudFormation works: fleet stops waiting, says which
/// stack carries on and in what state, exits 130; the next apply waits for
/// the operation instead of fighting it, and finishes the job.
#[test]
fn ctrl_c_while_waiting_leaves_the_stack_going_and_the_next_apply_picks_it_up() {
    use std::process::{Command, Stdio};

    let emulator = Emulator::start_with(&["--stack-seconds", "4"]);
    let apply = || {
        Command::new(env!("CARGO_BIN_EXE_fleet"))
            .arg("apply")
            .current_dir(crate::harness::root())
            .envs(emulator.env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };

    let child = apply();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let interrupted = child.wait_with_output().unwrap();
    let message = String::from_utf8_lossy(&interrupted.stderr);
    assert_eq!(interrupted.status.code(), Some(130), "{message}");
    assert!(
        message.contains("stack `backyard-cats` is still CREATE_IN_PROGRESS"),
        "{message}"
    );
    assert!(message.contains("carries on without fleet"), "{message}");

    let resumed = apply().wait_with_output().unwrap();
    let message = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{message}");
    assert!(
        message.contains("backyard-cats: waiting for the operation in progress"),
        "{message}"
    );
    let summary = String::from_utf8_lossy(&resumed.stdout);
    assert!(summary.contains("applied:"), "{summary}");
}
