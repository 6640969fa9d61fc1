//! `apply` as a whole: the core stack first (it holds the thing type and
//! groups the registry step needs), then the thing shards in parallel, then
//! the removal of shard stacks the fleet no longer needs, then the registry
//! step.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};

use super::stack::{self, ConfirmRecreate, Outcome};
use super::{Ctx, DeployError, PARALLEL_STACKS, discover, registry, sdk_message};
use crate::model::Fleet;
use crate::render::{Rendered, StackTemplate};

/// What an apply did, for the closing summary.
#[derive(Debug, Default)]
pub struct Summary {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub deleted: Vec<String>,
    pub registry_changes: usize,
    pub outputs: Vec<(String, String)>,
    pub elapsed: Duration,
}

pub async fn apply(
    ctx: &Ctx,
    fleet: &Fleet,
    rendered: &Rendered,
    confirm: ConfirmRecreate<'_>,
) -> Result<Summary, DeployError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    let core = &rendered.core.stack_name;
    let groups_before = discover::resources_of_type(ctx, core, "AWS::IoT::ThingGroup").await?;
    let deployed_before = discover::fleet_stacks(ctx).await?;

    let outcome = stack::deploy(ctx, &rendered.core, confirm).await?;
    record(&mut summary, core, outcome);
    let shards: Vec<&StackTemplate> = rendered.shards.iter().map(|s| &s.stack).collect();
    for (name, outcome) in deploy_all(ctx, &shards, confirm).await? {
        record(&mut summary, &name, outcome);
    }

    let wanted: BTreeSet<&str> = rendered.stacks().map(|s| s.stack_name.as_str()).collect();
    let orphans = deployed_before
        .iter()
        .filter(|s| !s.is_core && !wanted.contains(s.name.as_str()));
    for orphan in orphans {
        stack::delete(ctx, &orphan.name).await?;
        summary.deleted.push(orphan.name.clone());
    }

    let mut managed: BTreeSet<String> = groups_before.into_iter().collect();
    managed.extend(fleet.groups.iter().map(|g| g.name.clone()));
    let current = registry::read(ctx, fleet, &managed).await?;
    let changes = registry::diff(fleet, &current, &managed);
    registry::apply(ctx, &changes).await?;
    summary.registry_changes = changes.len();

    summary.outputs = outputs(ctx, core).await?;
    summary
        .outputs
        .push(("IotDataEndpoint".into(), ctx.data_endpoint().await?));
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn record(summary: &mut Summary, stack: &str, outcome: Outcome) {
    let list = match outcome {
        Outcome::Created => &mut summary.created,
        Outcome::Updated => &mut summary.updated,
        Outcome::Unchanged => &mut summary.unchanged,
    };
    list.push(stack.to_string());
}

/// Deploys independent stacks a few at a time. Every stack runs to its end
/// even when another fails; the first failure is returned after all.
async fn deploy_all(
    ctx: &Ctx,
    stacks: &[&StackTemplate],
    confirm: ConfirmRecreate<'_>,
) -> Result<Vec<(String, Outcome)>, DeployError> {
    let results: Vec<(String, Result<Outcome, DeployError>)> = stream::iter(stacks)
        .map(|t| async move { (t.stack_name.clone(), stack::deploy(ctx, t, confirm).await) })
        .buffer_unordered(PARALLEL_STACKS)
        .collect()
        .await;

    let mut done = Vec::with_capacity(results.len());
    let mut first_error = None;
    for (name, result) in results {
        match result {
            Ok(outcome) => done.push((name, outcome)),
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

/// The core stack's outputs: table name, rule, log group and so on.
pub async fn outputs(ctx: &Ctx, stack: &str) -> Result<Vec<(String, String)>, DeployError> {
    let out = ctx
        .cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| ctx.call_error(stack, "DescribeStacks", sdk_message(e)))?;
    let outputs = out
        .stacks()
        .first()
        .map(|s| s.outputs())
        .unwrap_or_default();
    Ok(outputs
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect())
}
