//! One stack at a time: create or update it through a change set, delete
//! it, wait for it while reporting its events.

use std::collections::HashSet;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, StackStatus, Tag, TemplateStage,
};

use super::{Ctx, DeployError, FLEET_TAG, Poll, sdk_message};
use crate::progress::{Action, Event};
use crate::render::StackTemplate;

/// What deploying one stack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Whether fleet may delete a stack whose first creation failed, so that
/// it can be created again.
pub type ConfirmRecreate<'a> = &'a (dyn Fn(&str) -> bool + Sync);

/// Creates or updates `template`'s stack and waits until it is done.
pub async fn deploy(
    ctx: &Ctx,
    template: &StackTemplate,
    confirm: ConfirmRecreate<'_>,
) -> Result<Outcome, DeployError> {
    let stack = template.stack_name.as_str();

    let kind = loop {
        match status(ctx, stack).await? {
            // A stack whose first change set was never executed exists only
            // to hold change sets: it is created, not updated.
            None | Some(StackStatus::ReviewInProgress) => break ChangeSetType::Create,
            Some(s) if s.as_str().ends_with("_IN_PROGRESS") => {
                ctx.reporter.event(Event::Waiting {
                    stack: stack.into(),
                    status: s.to_string(),
                });
                wait(ctx, stack, Instant::now()).await?;
            }
            Some(StackStatus::RollbackComplete) if confirm(stack) => {
                delete(ctx, stack).await?;
            }
            Some(s @ StackStatus::RollbackComplete) => {
                return Err(DeployError::NeedsDeletion {
                    stack: stack.into(),
                    status: s.to_string(),
                });
            }
            Some(s) if is_stuck(&s) => {
                return Err(DeployError::Stuck {
                    stack: stack.into(),
                    status: s.to_string(),
                });
            }
            Some(_) if deployed_template(ctx, stack).await? == Some(template.template.clone()) => {
                ctx.reporter.event(Event::StackUnchanged {
                    stack: stack.into(),
                });
                return Ok(Outcome::Unchanged);
            }
            Some(_) => break ChangeSetType::Update,
        }
    };

    let Some(change_set) = create_change_set(ctx, template, kind.clone()).await? else {
        ctx.reporter.event(Event::StackUnchanged {
            stack: stack.into(),
        });
        return Ok(Outcome::Unchanged);
    };
    let action = if kind == ChangeSetType::Create {
        Action::Create
    } else {
        Action::Update
    };
    execute(ctx, stack, &change_set, action, template.resource_count()).await?;
    Ok(if action == Action::Create {
        Outcome::Created
    } else {
        Outcome::Updated
    })
}

/// Statuses that no new operation can leave: a person has to act.
fn is_stuck(status: &StackStatus) -> bool {
    matches!(
        status,
        StackStatus::UpdateRollbackFailed
            | StackStatus::RollbackFailed
            | StackStatus::DeleteFailed
            | StackStatus::ImportRollbackFailed
    )
}

/// The stack's status, or `None` when there is no such stack.
pub async fn status(ctx: &Ctx, stack: &str) -> Result<Option<StackStatus>, DeployError> {
    match ctx.cfn.describe_stacks().stack_name(stack).send().await {
        Ok(out) => Ok(out.stacks().first().and_then(|s| s.stack_status().cloned())),
        Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Ok(None),
        Err(e) => Err(ctx.call_error(stack, "DescribeStacks", sdk_message(e))),
    }
}

/// The template the stack was last deployed with, if it is JSON.
pub async fn deployed_template(
    ctx: &Ctx,
    stack: &str,
) -> Result<Option<serde_json::Value>, DeployError> {
    let out = ctx
        .cfn
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| ctx.call_error(stack, "GetTemplate", sdk_message(e)))?;
    Ok(out
        .template_body()
        .and_then(|body| serde_json::from_str(body).ok()))
}

/// Creates a change set and waits for it; `None` when it holds no
/// changes, in which case it is deleted again.
pub async fn create_change_set(
    ctx: &Ctx,
    template: &StackTemplate,
    kind: ChangeSetType,
) -> Result<Option<String>, DeployError> {
    let stack = template.stack_name.as_str();
    let name = format!("fleet-{}", unix_millis());
    ctx.cfn
        .create_change_set()
        .stack_name(stack)
        .change_set_name(&name)
        .change_set_type(kind)
        .template_body(&template.body)
        .capabilities(Capability::CapabilityIam)
        .tags(
            Tag::builder()
                .key(FLEET_TAG)
                .value(&ctx.fleet_stack)
                .build(),
        )
        .send()
        .await
        .map_err(|e| ctx.call_error(stack, "CreateChangeSet", sdk_message(e)))?;

    let mut poll = Poll::new();
    loop {
        let out = ctx
            .cfn
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(&name)
            .send()
            .await
            .map_err(|e| ctx.call_error(stack, "DescribeChangeSet", sdk_message(e)))?;
        match out.status() {
            Some(ChangeSetStatus::CreateComplete) => return Ok(Some(name)),
            Some(ChangeSetStatus::Failed) => {
                let reason = out.status_reason().unwrap_or_default().to_string();
                delete_change_set(ctx, stack, &name).await;
                if reason.contains("didn't contain changes") || reason.contains("No updates") {
                    return Ok(None);
                }
                let message = format!("the change set failed: {reason}");
                return Err(ctx.call_error(stack, "CreateChangeSet", message));
            }
            _ => ctx.pause(&mut poll, stack, "creating a change set").await?,
        }
    }
}

/// Deletes a change set fleet made; a failure only leaves a harmless
/// change set behind, so it is logged, not raised.
pub async fn delete_change_set(ctx: &Ctx, stack: &str, name: &str) {
    let result = ctx
        .cfn
        .delete_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await;
    if let Err(e) = result {
        tracing::warn!(
            "could not delete change set {name} of {stack}: {}",
            sdk_message(e)
        );
    }
}

async fn execute(
    ctx: &Ctx,
    stack: &str,
    change_set: &str,
    action: Action,
    resources: usize,
) -> Result<(), DeployError> {
    let started = Instant::now();
    ctx.reporter.event(Event::StackStarted {
        stack: stack.into(),
        action,
        resources,
    });
    ctx.cfn
        .execute_change_set()
        .stack_name(stack)
        .change_set_name(change_set)
        .send()
        .await
        .map_err(|e| ctx.call_error(stack, "ExecuteChangeSet", sdk_message(e)))?;

    let status = wait(ctx, stack, started).await?;
    finish(ctx, stack, action, status, started).await
}

/// Deletes the stack and waits until it is gone. A stack that does not
/// exist is already deleted.
pub async fn delete(ctx: &Ctx, stack: &str) -> Result<(), DeployError> {
    let Some(current) = status(ctx, stack).await? else {
        return Ok(());
    };
    let started = Instant::now();
    ctx.reporter.event(Event::StackStarted {
        stack: stack.into(),
        action: Action::Delete,
        resources: 0,
    });
    if current.as_str() != "DELETE_IN_PROGRESS" {
        ctx.cfn
            .delete_stack()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| ctx.call_error(stack, "DeleteStack", sdk_message(e)))?;
    }

    let status = wait(ctx, stack, started).await?;
    finish(ctx, stack, Action::Delete, status, started).await
}

async fn finish(
    ctx: &Ctx,
    stack: &str,
    action: Action,
    status: StackStatus,
    started: Instant,
) -> Result<(), DeployError> {
    let succeeded = matches!(
        (action, &status),
        (Action::Create, StackStatus::CreateComplete)
            | (Action::Update, StackStatus::UpdateComplete)
            | (Action::Delete, StackStatus::DeleteComplete)
    );
    if succeeded {
        let elapsed = started.elapsed();
        ctx.reporter.event(Event::StackDone {
            stack: stack.into(),
            action,
            status: status.to_string(),
            elapsed,
        });
        return Ok(());
    }

    let reasons = failure_reasons(ctx, stack).await;
    let status_text = status.to_string();
    ctx.reporter.event(Event::StackFailed {
        stack: stack.into(),
        status: status_text.clone(),
        reasons: reasons.clone(),
    });
    let hint = match status {
        StackStatus::RollbackComplete => {
            "nothing was created; fix the cause, then `fleet apply --yes` deletes the empty \
             stack and creates it again"
        }
        StackStatus::UpdateRollbackComplete => {
            "the stack was rolled back to its previous state; fix the cause and apply again"
        }
        StackStatus::DeleteFailed => "some resources remain; fix the cause and destroy again",
        _ => "see the stack's events in the CloudFormation console",
    };
    Err(DeployError::Failed {
        stack: stack.into(),
        status: status_text,
        reasons,
        hint,
    })
}

/// Waits until the stack is no longer in progress, reporting each new
/// resource event since `since`.
async fn wait(ctx: &Ctx, stack: &str, since: Instant) -> Result<StackStatus, DeployError> {
    let since_unix = unix_millis() as i64 - since.elapsed().as_millis() as i64 - 1_000;
    let mut seen = HashSet::new();
    let mut poll = Poll::new();
    loop {
        let current = status(ctx, stack).await?;
        report_events(ctx, stack, since_unix, &mut seen).await;
        match current {
            None => return Ok(StackStatus::DeleteComplete),
            Some(s) if s.as_str().ends_with("_IN_PROGRESS") => {
                ctx.pause(&mut poll, stack, s.as_str()).await?
            }
            Some(s) => return Ok(s),
        }
    }
}

/// Reports the stack's resource events newer than `since_unix` (epoch
/// milliseconds) that were not reported yet, oldest first.
async fn report_events(ctx: &Ctx, stack: &str, since_unix: i64, seen: &mut HashSet<String>) {
    let Ok(out) = ctx
        .cfn
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
    else {
        return;
    };
    let fresh: Vec<_> = out
        .stack_events()
        .iter()
        .filter(|e| {
            e.timestamp()
                .is_some_and(|t| t.to_millis().unwrap_or(0) >= since_unix)
        })
        .filter(|e| e.logical_resource_id() != Some(stack))
        .filter(|e| e.event_id().is_some_and(|id| seen.insert(id.to_string())))
        .collect();
    for e in fresh.into_iter().rev() {
        ctx.reporter.event(Event::Resource {
            stack: stack.into(),
            logical_id: e.logical_resource_id().unwrap_or("?").into(),
            resource_type: e.resource_type().unwrap_or("?").into(),
            status: e
                .resource_status()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            reason: e.resource_status_reason().map(str::to_string),
        });
    }
}

/// The reasons CloudFormation gave for the resources that failed, naming
/// each logical resource and its type, oldest first.
async fn failure_reasons(ctx: &Ctx, stack: &str) -> Vec<String> {
    let Ok(out) = ctx
        .cfn
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
    else {
        return Vec::new();
    };
    let mut reasons: Vec<String> = out
        .stack_events()
        .iter()
        .filter(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .filter_map(|e| {
            let reason = e.resource_status_reason()?;
            let logical = e.logical_resource_id().unwrap_or("?");
            let kind = e.resource_type().unwrap_or("?");
            Some(format!("{logical} ({kind}): {reason}"))
        })
        .collect();
    reasons.reverse();
    reasons.dedup();
    reasons
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}
