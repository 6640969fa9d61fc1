//! `plan`: what `apply` would do, per stack and in the registry, without
//! changing anything. Existing stacks are compared through a change set
//! (always with an explicit type), which is deleted again; a stack whose
//! deployed template equals the rendered one needs no change set at all.

use std::collections::BTreeSet;

use aws_sdk_cloudformation::types::{ChangeSetType, StackStatus};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;

use super::registry::{self, Change};
use super::{Ctx, DeployError, PARALLEL_STACKS, discover, sdk_message, stack};
use crate::model::Fleet;
use crate::render::{Rendered, StackTemplate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StackAction {
    Create,
    Update,
    Delete,
    /// The stack's first creation failed; apply deletes and recreates it.
    Recreate,
    Unchanged,
}

/// One resource change within a stack.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove` as CloudFormation says.
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// Whether CloudFormation must replace the resource: `True`, `False`
    /// or `Conditional`; absent for additions and removals.
    pub replacement: Option<String>,
    /// The properties that change.
    pub properties: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StackPlan {
    pub stack: String,
    pub action: StackAction,
    pub changes: Vec<ResourceChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub stacks: Vec<StackPlan>,
    #[serde(serialize_with = "registry_changes")]
    pub registry: Vec<Change>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        !self.registry.is_empty()
            || self
                .stacks
                .iter()
                .any(|s| s.action != StackAction::Unchanged)
    }
}

fn registry_changes<S: serde::Serializer>(changes: &[Change], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        changes
            .iter()
            .map(|c| serde_json::json!({"thing": c.thing(), "change": c.to_string()})),
    )
}

pub async fn plan(ctx: &Ctx, fleet: &Fleet, rendered: &Rendered) -> Result<Plan, DeployError> {
    let core = &rendered.core.stack_name;
    let groups_before = discover::resources_of_type(ctx, core, "AWS::IoT::ThingGroup").await?;
    let deployed = discover::fleet_stacks(ctx).await?;

    let templates: Vec<&StackTemplate> = rendered.stacks().collect();
    let mut stacks: Vec<StackPlan> = stream::iter(templates)
        .map(|t| plan_stack(ctx, t))
        .buffered(PARALLEL_STACKS)
        .try_collect()
        .await?;
    let wanted: BTreeSet<&str> = rendered.stacks().map(|s| s.stack_name.as_str()).collect();
    for orphan in deployed
        .iter()
        .filter(|s| !s.is_core && !wanted.contains(s.name.as_str()))
    {
        stacks.push(StackPlan {
            stack: orphan.name.clone(),
            action: StackAction::Delete,
            changes: Vec::new(),
        });
    }

    let mut managed: BTreeSet<String> = groups_before.into_iter().collect();
    managed.extend(fleet.groups.iter().map(|g| g.name.clone()));
    let current = registry::read(ctx, fleet, &managed).await?;
    let registry = registry::diff(fleet, &current, &managed);
    Ok(Plan { stacks, registry })
}

async fn plan_stack(ctx: &Ctx, template: &StackTemplate) -> Result<StackPlan, DeployError> {
    let name = template.stack_name.clone();
    let status = stack::status(ctx, &name).await?;

    let (action, changes) = match status {
        None | Some(StackStatus::ReviewInProgress) => (StackAction::Create, additions(template)),
        Some(StackStatus::RollbackComplete) => (StackAction::Recreate, additions(template)),
        Some(_)
            if stack::deployed_template(ctx, &name).await? == Some(template.template.clone()) =>
        {
            (StackAction::Unchanged, Vec::new())
        }
        Some(_) => {
            let changes = change_set_changes(ctx, template).await?;
            let action = if changes.is_empty() {
                StackAction::Unchanged
            } else {
                StackAction::Update
            };
            (action, changes)
        }
    };
    Ok(StackPlan {
        stack: name,
        action,
        changes,
    })
}

/// Every resource of a template that is yet to be created.
fn additions(template: &StackTemplate) -> Vec<ResourceChange> {
    let resources = template.template["Resources"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    resources
        .iter()
        .map(|(id, r)| ResourceChange {
            action: "Add".into(),
            logical_id: id.clone(),
            resource_type: r["Type"].as_str().unwrap_or("?").into(),
            replacement: None,
            properties: Vec::new(),
        })
        .collect()
}

/// The changes an UPDATE change set holds; the change set is deleted
/// before returning.
async fn change_set_changes(
    ctx: &Ctx,
    template: &StackTemplate,
) -> Result<Vec<ResourceChange>, DeployError> {
    let stack_name = template.stack_name.as_str();
    let Some(change_set) = stack::create_change_set(ctx, template, ChangeSetType::Update).await?
    else {
        return Ok(Vec::new());
    };

    let mut changes = Vec::new();
    let mut token: Option<String> = None;
    let result = loop {
        let out = ctx
            .cfn
            .describe_change_set()
            .stack_name(stack_name)
            .change_set_name(&change_set)
            .set_next_token(token.take())
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => break Err(ctx.call_error(stack_name, "DescribeChangeSet", sdk_message(e))),
        };
        changes.extend(
            out.changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(|rc| {
                    let properties: BTreeSet<String> = rc
                        .details()
                        .iter()
                        .filter_map(|d| d.target()?.name().map(str::to_string))
                        .collect();
                    ResourceChange {
                        action: rc.action().map(|a| a.to_string()).unwrap_or_default(),
                        logical_id: rc.logical_resource_id().unwrap_or("?").into(),
                        resource_type: rc.resource_type().unwrap_or("?").into(),
                        replacement: rc.replacement().map(|r| r.to_string()),
                        properties: properties.into_iter().collect(),
                    }
                }),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break Ok(()),
        }
    };

    stack::delete_change_set(ctx, stack_name, &change_set).await;
    result.map(|()| changes)
}
