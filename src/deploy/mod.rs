//! Deploying rendered stacks with CloudFormation change sets.
//!
//! Every deployment goes through a change set with an explicit type
//! (CREATE for a new stack, UPDATE for an existing one), so what runs is
//! what a plan would show, and a template that changes nothing creates no
//! stack operation at all. Waiting polls with a growing interval: quick
//! against the local emulator, gentle on AWS's API limits.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Output, StackStatus, Tag,
};

use crate::render::StackTemplate;

/// The tag every stack fleet deploys carries, naming its fleet; stack tags
/// propagate to the resources that support tags.
pub const FLEET_TAG: &str = "fleet:stack";

/// What deploying one stack did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// A deployed stack's outcome and outputs.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub stack: String,
    pub outcome: Outcome,
    pub outputs: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{operation} `{stack}` failed at {endpoint}: {message}")]
    Call {
        stack: String,
        operation: &'static str,
        endpoint: String,
        message: String,
    },
    #[error("stack `{stack}` ended in {status}{}", failures(.reasons))]
    Failed {
        stack: String,
        status: String,
        reasons: Vec<String>,
    },
    #[error(
        "stack `{stack}` is in {status}: its first creation failed and it must be deleted \
         before it can be created again"
    )]
    NeedsDeletion { stack: String, status: String },
}

fn failures(reasons: &[String]) -> String {
    if reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", reasons.join("; "))
    }
}

/// Creates or updates `template`'s stack and waits until it is done.
pub async fn deploy(
    cfn: &Client,
    endpoint: &str,
    template: &StackTemplate,
    fleet_stack: &str,
) -> Result<Deployed, DeployError> {
    let stack = template.stack_name.as_str();
    let call = |operation| {
        move |e: String| DeployError::Call {
            stack: stack.to_string(),
            operation,
            endpoint: endpoint.to_string(),
            message: e,
        }
    };

    let kind = match current_status(cfn, stack)
        .await
        .map_err(call("DescribeStacks"))?
    {
        None => ChangeSetType::Create,
        Some(status) if status == StackStatus::RollbackComplete => {
            return Err(DeployError::NeedsDeletion {
                stack: stack.into(),
                status: status.to_string(),
            });
        }
        Some(status) if status.as_str().ends_with("_IN_PROGRESS") => {
            tracing::info!("stack {stack} is {status}; waiting for it before deploying");
            wait_stack(cfn, stack)
                .await
                .map_err(call("DescribeStacks"))?;
            ChangeSetType::Update
        }
        Some(_) => ChangeSetType::Update,
    };

    let change_set = format!("fleet-{}", unix_millis());
    cfn.create_change_set()
        .stack_name(stack)
        .change_set_name(&change_set)
        .change_set_type(kind.clone())
        .template_body(&template.body)
        .capabilities(Capability::CapabilityIam)
        .tags(Tag::builder().key(FLEET_TAG).value(fleet_stack).build())
        .send()
        .await
        .map_err(|e| call("CreateChangeSet")(sdk_message(e)))?;

    if !change_set_ready(cfn, stack, &change_set)
        .await
        .map_err(call("DescribeChangeSet"))?
    {
        let _ = cfn
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(&change_set)
            .send()
            .await;
        let outputs = outputs(cfn, stack).await.map_err(call("DescribeStacks"))?;
        return Ok(Deployed {
            stack: stack.into(),
            outcome: Outcome::Unchanged,
            outputs,
        });
    }

    cfn.execute_change_set()
        .stack_name(stack)
        .change_set_name(&change_set)
        .send()
        .await
        .map_err(|e| call("ExecuteChangeSet")(sdk_message(e)))?;
    let status = wait_stack(cfn, stack)
        .await
        .map_err(call("DescribeStacks"))?;

    if !matches!(
        status,
        StackStatus::CreateComplete | StackStatus::UpdateComplete
    ) {
        let reasons = failure_reasons(cfn, stack).await;
        return Err(DeployError::Failed {
            stack: stack.into(),
            status: status.to_string(),
            reasons,
        });
    }
    let outcome = if kind == ChangeSetType::Create {
        Outcome::Created
    } else {
        Outcome::Updated
    };
    let outputs = outputs(cfn, stack).await.map_err(call("DescribeStacks"))?;
    Ok(Deployed {
        stack: stack.into(),
        outcome,
        outputs,
    })
}

/// The stack's status, or `None` when there is no such stack.
pub async fn current_status(cfn: &Client, stack: &str) -> Result<Option<StackStatus>, String> {
    match cfn.describe_stacks().stack_name(stack).send().await {
        Ok(out) => Ok(out.stacks().first().and_then(|s| s.stack_status().cloned())),
        Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Ok(None),
        Err(e) => Err(sdk_message(e)),
    }
}

/// Waits for the change set to be computed. `false` means it holds no
/// changes, which CloudFormation reports as a failed change set.
async fn change_set_ready(cfn: &Client, stack: &str, name: &str) -> Result<bool, String> {
    let mut poll = Poll::new();
    loop {
        let out = cfn
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .send()
            .await
            .map_err(sdk_message)?;
        match out.status() {
            Some(ChangeSetStatus::CreateComplete) => return Ok(true),
            Some(ChangeSetStatus::Failed) => {
                let reason = out.status_reason().unwrap_or_default();
                let empty = reason.contains("didn't contain changes")
                    || reason.contains("No updates are to be performed");
                return if empty {
                    Ok(false)
                } else {
                    Err(format!("change set failed: {reason}"))
                };
            }
            _ => poll.sleep().await,
        }
    }
}

/// Waits until the stack's status is no longer in progress.
async fn wait_stack(cfn: &Client, stack: &str) -> Result<StackStatus, String> {
    let mut poll = Poll::new();
    loop {
        match current_status(cfn, stack).await? {
            None => return Ok(StackStatus::DeleteComplete),
            Some(s) if s.as_str().ends_with("_IN_PROGRESS") => poll.sleep().await,
            Some(s) => return Ok(s),
        }
    }
}

async fn outputs(cfn: &Client, stack: &str) -> Result<Vec<(String, String)>, String> {
    let out = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(sdk_message)?;
    let outputs = out
        .stacks()
        .first()
        .map(|s| s.outputs())
        .unwrap_or_default();
    Ok(outputs.iter().filter_map(output_pair).collect())
}

fn output_pair(o: &Output) -> Option<(String, String)> {
    Some((o.output_key()?.to_string(), o.output_value()?.to_string()))
}

/// The reasons CloudFormation gave for the resources that failed, naming
/// each logical resource and its type.
async fn failure_reasons(cfn: &Client, stack: &str) -> Vec<String> {
    let Ok(out) = cfn.describe_stack_events().stack_name(stack).send().await else {
        return Vec::new();
    };
    out.stack_events()
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
        .collect()
}

/// One line for an SDK error: the service's code and message when it
/// answered, else the whole chain (connection refused, timeouts ...).
pub fn sdk_message<E, R>(e: aws_sdk_cloudformation::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => {
            let chain = DisplayErrorContext(&e).to_string();
            tracing::debug!("AWS call failed: {chain}");
            plain_reason(&chain).map_or(chain, str::to_string)
        }
    }
}

/// One sentence for the failures people meet most, in place of the SDK's
/// chain of internals (which `-v` still logs).
fn plain_reason(chain: &str) -> Option<&'static str> {
    if chain.contains("loading credentials") || chain.contains("no providers in chain") {
        Some(
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (against the local emulator any values do)",
        )
    } else if chain.contains("Connection refused") || chain.contains("connection refused") {
        Some("nothing answers there (connection refused); is the endpoint right and running?")
    } else if chain.contains("timed out") || chain.contains("TimeoutError") {
        Some("the request timed out; check the endpoint and your network")
    } else if chain.contains("dns error") || chain.contains("failed to lookup address") {
        Some("the endpoint's host name does not resolve")
    } else {
        None
    }
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// A polling interval that starts short and grows to five seconds.
struct Poll(Duration);

impl Poll {
    fn new() -> Poll {
        Poll(Duration::from_millis(200))
    }

    async fn sleep(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 3 / 2).min(Duration::from_secs(5));
    }
}
