//! `destroy`: take a fleet down in the order that cannot fail on what
//! fleet itself made. Group memberships go first (a group with members
//! may refuse deletion), then the thing shard stacks in parallel, then the
//! core stack. The location table is retained by the template; it is
//! deleted only when asked.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use futures_util::{StreamExt, stream};

use super::{
    Ctx, DeployError, PARALLEL_REGISTRY_CALLS, PARALLEL_STACKS, discover, registry, sdk_message,
    stack,
};
use crate::model::Fleet;
use crate::progress::Event;

/// What became of the location table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableFate {
    /// Kept, with DynamoDB's (approximate, six-hourly) item count.
    Kept {
        name: String,
        items: Option<i64>,
    },
    Deleted {
        name: String,
    },
    Absent {
        name: String,
    },
}

#[derive(Debug, Clone)]
pub struct Destroyed {
    pub stacks: Vec<String>,
    pub table: TableFate,
}

pub async fn destroy(
    ctx: &Ctx,
    fleet: &Fleet,
    delete_data: bool,
) -> Result<Destroyed, DeployError> {
    let stacks = discover::fleet_stacks(ctx).await?;
    let (core, shards): (Vec<_>, Vec<_>) = stacks.iter().partition(|s| s.is_core);

    leave_groups(
        ctx,
        fleet,
        &shards.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
    )
    .await?;
    let results: Vec<Result<(), DeployError>> = stream::iter(&shards)
        .map(|s| stack::delete(ctx, &s.name))
        .buffer_unordered(PARALLEL_STACKS)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    for c in &core {
        stack::delete(ctx, &c.name).await?;
    }

    let table = table_fate(ctx, &fleet.table.name, delete_data).await?;
    Ok(Destroyed {
        stacks: stacks.into_iter().map(|s| s.name).collect(),
        table,
    })
}

/// Removes every thing of the shard stacks from the groups fleet manages.
async fn leave_groups(ctx: &Ctx, fleet: &Fleet, shards: &[String]) -> Result<(), DeployError> {
    let mut managed: BTreeSet<String> = fleet.groups.iter().map(|g| g.name.clone()).collect();
    managed.extend(discover::resources_of_type(ctx, &fleet.stack, "AWS::IoT::ThingGroup").await?);

    let mut things = Vec::new();
    for shard in shards {
        things.extend(discover::resources_of_type(ctx, shard, "AWS::IoT::Thing").await?);
    }

    let results: Vec<Result<(), DeployError>> = stream::iter(&things)
        .map(|thing| leave_managed(ctx, thing, &managed))
        .buffer_unordered(PARALLEL_REGISTRY_CALLS)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn leave_managed(
    ctx: &Ctx,
    thing: &str,
    managed: &BTreeSet<String>,
) -> Result<(), DeployError> {
    let state = registry::read_thing(ctx, thing).await?;
    let leave: Vec<registry::Change> = state
        .groups
        .iter()
        .filter(|g| managed.contains(*g))
        .map(|g| registry::Change::Leave {
            thing: thing.to_string(),
            group: g.clone(),
        })
        .collect();
    registry::apply(ctx, &leave).await
}

async fn table_fate(ctx: &Ctx, name: &str, delete: bool) -> Result<TableFate, DeployError> {
    let described = match ctx.dynamodb.describe_table().table_name(name).send().await {
        Ok(out) => out,
        Err(e) if e.code() == Some("ResourceNotFoundException") => {
            return Ok(TableFate::Absent { name: name.into() });
        }
        Err(e) => return Err(ctx.call_error(name, "DescribeTable", sdk_message(e))),
    };
    if !delete {
        let items = described.table().and_then(|t| t.item_count());
        return Ok(TableFate::Kept {
            name: name.into(),
            items,
        });
    }

    ctx.dynamodb
        .delete_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| ctx.call_error(name, "DeleteTable", sdk_message(e)))?;
    ctx.reporter.event(Event::Note {
        message: format!("deleted table {name} and every location in it"),
    });
    Ok(TableFate::Deleted { name: name.into() })
}
