//! Finding what a fleet has deployed: its stacks, by the tag fleet puts on
//! every stack, and the thing groups its core stack holds.

use aws_sdk_cloudformation::types::{Stack, StackStatus};

use super::{Ctx, DeployError, FLEET_TAG, sdk_message};

/// A stack of this fleet as CloudFormation describes it.
#[derive(Debug, Clone)]
pub struct FleetStack {
    pub name: String,
    pub status: StackStatus,
    /// When the stack last changed, as RFC 3339.
    pub changed: Option<String>,
    pub is_core: bool,
}

/// Every live stack tagged as this fleet's, the core stack first.
pub async fn fleet_stacks(ctx: &Ctx) -> Result<Vec<FleetStack>, DeployError> {
    let mut stacks = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = ctx
            .cfn
            .describe_stacks()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| ctx.call_error(&ctx.fleet_stack, "DescribeStacks", sdk_message(e)))?;
        stacks.extend(out.stacks().iter().filter_map(|s| ours(ctx, s)));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }

    stacks.sort_by(|a, b| (!a.is_core, &a.name).cmp(&(!b.is_core, &b.name)));
    Ok(stacks)
}

fn ours(ctx: &Ctx, stack: &Stack) -> Option<FleetStack> {
    let name = stack.stack_name()?;
    let tagged = stack
        .tags()
        .iter()
        .any(|t| t.key() == Some(FLEET_TAG) && t.value() == Some(ctx.fleet_stack.as_str()));
    let status = stack.stack_status()?.clone();
    if !tagged || status == StackStatus::DeleteComplete {
        return None;
    }
    let changed = stack
        .last_updated_time()
        .or(stack.creation_time())
        .map(|t| t.to_string());
    let is_core = name == ctx.fleet_stack;
    Some(FleetStack {
        name: name.to_string(),
        status,
        changed,
        is_core,
    })
}

/// The physical names of the resources of `resource_type` in `stack`, or
/// nothing when the stack does not exist.
pub async fn resources_of_type(
    ctx: &Ctx,
    stack: &str,
    resource_type: &str,
) -> Result<Vec<String>, DeployError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let result = ctx
            .cfn
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(token.take())
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) if sdk_message_contains(&e, "does not exist") => return Ok(Vec::new()),
            Err(e) => return Err(ctx.call_error(stack, "ListStackResources", sdk_message(e))),
        };
        let matching = out
            .stack_resource_summaries()
            .iter()
            .filter(|r| r.resource_type() == Some(resource_type))
            .filter_map(|r| r.physical_resource_id().map(str::to_string));
        names.extend(matching);
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(names),
        }
    }
}

fn sdk_message_contains<E, R>(e: &aws_sdk_cloudformation::error::SdkError<E, R>, text: &str) -> bool
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata,
{
    use aws_sdk_cloudformation::error::ProvideErrorMetadata as _;
    e.message().is_some_and(|m| m.contains(text))
}
