//! The static checks: what can be read from the services without sending
//! anything.

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType, TableStatus};

use super::Check;
use crate::deploy::{Ctx, discover, registry, sdk_message};
use crate::model::Fleet;
use crate::render::Rendered;
use crate::rule_sql::{PARTITION_KEY, SORT_KEY};

/// Every static check, in the order a person would look.
pub async fn static_checks(
    ctx: &Ctx,
    aws: &crate::aws::Aws,
    fleet: &Fleet,
    rendered: &Rendered,
) -> Vec<Check> {
    let mut checks = vec![credentials(aws).await];
    checks.push(stacks(ctx, rendered).await);
    checks.push(things(ctx, fleet).await);
    let (rule, role_arn) = rule(ctx, fleet).await;
    checks.push(rule);
    checks.push(role(aws, fleet, role_arn.as_deref()).await);
    checks.push(table(ctx, fleet).await);
    checks
}

async fn credentials(aws: &crate::aws::Aws) -> Check {
    let sts = aws_sdk_sts::Client::new(&aws.config);
    match sts.get_caller_identity().send().await {
        Ok(id) => Check::pass(
            "credentials",
            format!("account {}", id.account().unwrap_or("?")),
        ),
        Err(e) => Check::fail("credentials", sdk_message(e)),
    }
}

async fn stacks(ctx: &Ctx, rendered: &Rendered) -> Check {
    let deployed = match discover::fleet_stacks(ctx).await {
        Ok(d) => d,
        Err(e) => return Check::fail("stacks", e.to_string()),
    };
    let mut problems = Vec::new();
    for template in rendered.stacks() {
        match deployed.iter().find(|s| s.name == template.stack_name) {
            None => problems.push(format!("{} is not deployed", template.stack_name)),
            Some(s)
                if !matches!(
                    s.status,
                    StackStatus::CreateComplete | StackStatus::UpdateComplete
                ) =>
            {
                problems.push(format!("{} is {}", s.name, s.status));
            }
            Some(_) => {}
        }
    }
    let count = rendered.stacks().count();
    if problems.is_empty() {
        Check::pass("stacks", format!("{count} stacks complete"))
    } else {
        Check::fail(
            "stacks",
            format!("{} (run `fleet apply`)", problems.join("; ")),
        )
    }
}

async fn things(ctx: &Ctx, fleet: &Fleet) -> Check {
    let states = match registry::read(ctx, fleet, &registry::declared_groups(fleet)).await {
        Ok(s) => s,
        Err(e) => return Check::fail("things", e.to_string()),
    };
    let mut problems = Vec::new();
    for cat in &fleet.cats {
        let state = states.get(&cat.device).cloned().unwrap_or_default();
        if !state.exists {
            problems.push(format!("{} has no thing", cat.device));
        } else if state.thing_type.as_deref() != Some(fleet.thing_type.name.as_str()) {
            problems.push(format!(
                "{} is not of type {}",
                cat.device, fleet.thing_type.name
            ));
        } else if state.attributes != registry::desired_attributes(fleet, cat) {
            problems.push(format!("{}'s attributes differ from the file", cat.device));
        } else if !cat.groups.iter().all(|g| state.groups.contains(g)) {
            problems.push(format!("{} is missing from some of its groups", cat.device));
        }
    }
    if problems.is_empty() {
        Check::pass(
            "things",
            format!(
                "{} things with their type, attributes and groups",
                fleet.cats.len()
            ),
        )
    } else {
        Check::fail(
            "things",
            format!("{} (run `fleet apply`)", problems.join("; ")),
        )
    }
}

/// The rule check, and the role ARN its DynamoDBv2 action uses.
async fn rule(ctx: &Ctx, fleet: &Fleet) -> (Check, Option<String>) {
    let out = match ctx
        .iot
        .get_topic_rule()
        .rule_name(&fleet.rule.name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            return (
                Check::fail("rule", format!("`{}`: {}", fleet.rule.name, sdk_message(e))),
                None,
            );
        }
    };
    let Some(rule) = out.rule() else {
        return (
            Check::fail("rule", format!("`{}` does not exist", fleet.rule.name)),
            None,
        );
    };
    let action = rule.actions().iter().find_map(|a| a.dynamo_dbv2());
    let role_arn = action.map(|a| a.role_arn().to_string());

    let mut problems = Vec::new();
    if rule.rule_disabled().unwrap_or(false) {
        problems.push("it is disabled".to_string());
    }
    if rule.sql() != Some(fleet.rule.sql.as_str()) {
        problems.push("its SQL is not the one fleet renders from the file".to_string());
    }
    match action.and_then(|a| a.put_item()) {
        None => problems.push("it has no DynamoDBv2 action".to_string()),
        Some(put) if put.table_name() != fleet.table.name => {
            problems.push(format!(
                "its action writes to `{}`, not `{}`",
                put.table_name(),
                fleet.table.name
            ));
        }
        Some(_) => {}
    }
    if rule
        .error_action()
        .and_then(|a| a.cloudwatch_logs())
        .is_none()
    {
        problems.push("it has no CloudWatch Logs error action".to_string());
    }

    let check = if problems.is_empty() {
        Check::pass(
            "rule",
            format!(
                "`{}` enabled, writing to `{}`",
                fleet.rule.name, fleet.table.name
            ),
        )
    } else {
        Check::fail(
            "rule",
            format!("`{}`: {}", fleet.rule.name, problems.join("; ")),
        )
    };
    (check, role_arn)
}

/// The rule's role: trusted by AWS IoT, allowed exactly PutItem on the
/// fleet's table.
async fn role(aws: &crate::aws::Aws, fleet: &Fleet, role_arn: Option<&str>) -> Check {
    let Some(name) = role_arn.and_then(|a| a.rsplit('/').next()) else {
        return Check::fail("role", "the rule names no role");
    };
    let iam = aws.iam();
    let role = match iam.get_role().role_name(name).send().await {
        Ok(r) => r,
        Err(e) => return Check::fail("role", format!("`{name}`: {}", sdk_message(e))),
    };
    let trust = role
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .map(decode)
        .unwrap_or_default();
    if !trust.contains("iot.amazonaws.com") {
        return Check::fail("role", format!("`{name}` does not trust iot.amazonaws.com"));
    }

    let policies = match iam.list_role_policies().role_name(name).send().await {
        Ok(p) => p.policy_names().to_vec(),
        Err(e) => return Check::fail("role", sdk_message(e)),
    };
    let mut statements = Vec::new();
    for policy in &policies {
        if let Ok(p) = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
        {
            let document: serde_json::Value =
                serde_json::from_str(&decode(p.policy_document())).unwrap_or_default();
            statements.extend(
                document["Statement"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    let table_arn = table_arn(aws, fleet).await;
    let exact = statements.len() == 1
        && statements[0]["Effect"] == "Allow"
        && statements[0]["Action"] == "dynamodb:PutItem"
        && table_arn
            .as_deref()
            .is_some_and(|arn| statements[0]["Resource"] == arn);
    if exact {
        Check::pass("role", format!("`{name}` may only PutItem on the table"))
    } else {
        Check::fail(
            "role",
            format!(
                "`{name}` does not allow exactly dynamodb:PutItem on the table: {statements:?}"
            ),
        )
    }
}

/// IAM returns policy documents URL-encoded.
fn decode(document: &str) -> String {
    percent_encoding::percent_decode_str(document)
        .decode_utf8_lossy()
        .into_owned()
}

async fn table_arn(aws: &crate::aws::Aws, fleet: &Fleet) -> Option<String> {
    let out = aws
        .dynamodb()
        .describe_table()
        .table_name(&fleet.table.name)
        .send()
        .await
        .ok()?;
    out.table()?.table_arn().map(str::to_string)
}

async fn table(ctx: &Ctx, fleet: &Fleet) -> Check {
    let name = &fleet.table.name;
    let out = match ctx.dynamodb.describe_table().table_name(name).send().await {
        Ok(out) => out,
        Err(e) => return Check::fail("table", format!("`{name}`: {}", sdk_message(e))),
    };
    let Some(table) = out.table() else {
        return Check::fail("table", format!("`{name}` does not exist"));
    };
    let keys: Vec<(&str, KeyType)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    let types: Vec<(&str, ScalarAttributeType)> = table
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name(), a.attribute_type().clone()))
        .collect();

    let expected_keys = [(PARTITION_KEY, KeyType::Hash), (SORT_KEY, KeyType::Range)];
    let typed = types.contains(&(PARTITION_KEY, ScalarAttributeType::S))
        && types.contains(&(SORT_KEY, ScalarAttributeType::N));
    if keys != expected_keys || !typed {
        return Check::fail(
            "table",
            format!("`{name}` does not have the keys {PARTITION_KEY} (S) and {SORT_KEY} (N)"),
        );
    }
    if table.table_status() != Some(&TableStatus::Active) {
        let status = table
            .table_status()
            .map(|s| s.to_string())
            .unwrap_or_default();
        return Check::fail("table", format!("`{name}` is {status}"));
    }
    Check::pass(
        "table",
        format!("`{name}` active, keyed by {PARTITION_KEY} and {SORT_KEY}"),
    )
}
