//! Rendering a validated [`Fleet`] as CloudFormation: one core stack and
//! the thing shard stacks.
//!
//! The base templates under `templates/` are readable, deployable
//! CloudFormation written with sample values. Rendering loads them, sets
//! each value the fleet file decides, and repeats their sample thing and
//! group once per tracker and group. The result is checked against
//! CloudFormation's limits here, before any AWS call, so a fleet that
//! renders is a fleet CloudFormation will accept.

mod core;
mod shards;

use serde_json::Value;

use crate::model::Fleet;

pub use shards::{shard_of, shard_stack_name};

/// The largest template body CloudFormation accepts inline, in bytes.
pub const MAX_BODY_BYTES: usize = 51_200;

/// The most resources one stack may hold.
pub const MAX_RESOURCES: usize = 500;

/// One stack's template, ready to deploy.
#[derive(Debug, Clone)]
pub struct StackTemplate {
    pub stack_name: String,
    /// The file name `fleet template` writes it to.
    pub file_name: String,
    pub template: Value,
    /// The body exactly as it is sent to CloudFormation: compact JSON,
    /// because the body's size is what CloudFormation limits.
    pub body: String,
}

impl StackTemplate {
    pub fn resource_count(&self) -> usize {
        self.template["Resources"]
            .as_object()
            .map_or(0, |r| r.len())
    }

    /// The template indented for people to read; `body` is what deploys.
    pub fn pretty(&self) -> String {
        serde_json::to_string_pretty(&self.template).expect("templates serialize") + "\n"
    }
}

/// A thing shard: which cats it holds, and its stack.
#[derive(Debug, Clone)]
pub struct Shard {
    pub index: u32,
    /// Indexes into `Fleet::cats`, in fleet file order.
    pub cats: Vec<usize>,
    pub stack: StackTemplate,
}

/// Everything a fleet deploys as CloudFormation.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub core: StackTemplate,
    /// The non-empty shards, by index.
    pub shards: Vec<Shard>,
}

impl Rendered {
    pub fn stacks(&self) -> impl Iterator<Item = &StackTemplate> {
        std::iter::once(&self.core).chain(self.shards.iter().map(|s| &s.stack))
    }
}

/// Why a fleet cannot be rendered within CloudFormation's limits.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "shards: shard {index:03} would hold {things} things in a {bytes}-byte template, over \
         CloudFormation's limits ({MAX_BODY_BYTES} bytes, {MAX_RESOURCES} resources); set \
         `shards: {suggested}` in the fleet file (this moves most things to new shard stacks)"
    )]
    ShardTooLarge {
        index: u32,
        things: usize,
        bytes: usize,
        suggested: u32,
    },
    #[error(
        "groups: the core stack's template would hold {resources} resources in {bytes} bytes, \
         over CloudFormation's limits ({MAX_BODY_BYTES} bytes, {MAX_RESOURCES} resources); \
         declare fewer thing groups or shorten their descriptions"
    )]
    CoreTooLarge { resources: usize, bytes: usize },
}

/// Renders the core stack and every non-empty thing shard.
pub fn render(fleet: &Fleet) -> Result<Rendered, RenderError> {
    let core = core::render(fleet);
    let resources = core.resource_count();
    if core.body.len() > MAX_BODY_BYTES || resources > MAX_RESOURCES {
        return Err(RenderError::CoreTooLarge {
            resources,
            bytes: core.body.len(),
        });
    }
    let shards = shards::render(fleet)?;
    Ok(Rendered { core, shards })
}

/// A CloudFormation logical id for a named thing: the prefix, then the
/// name's letters and digits, with every other character (and `Z` itself)
/// written as `Z` and a letter, so distinct names never share an id.
pub fn logical_id(prefix: &str, name: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + name.len() + 4);
    id.push_str(prefix);
    for c in name.chars() {
        match c {
            'Z' => id.push_str("ZZ"),
            '-' => id.push_str("Zd"),
            '_' => id.push_str("Zu"),
            ':' => id.push_str("Zc"),
            '.' => id.push_str("Zp"),
            c if c.is_ascii_alphanumeric() => id.push(c),
            _ => id.push_str("Zx"),
        }
    }
    id
}

/// Loads a base template, which is part of the program: a failure here is
/// a bug caught by the tests, not a user error.
fn base(text: &str) -> Value {
    crate::fleetfile::yaml::to_json(text).expect("base templates are valid YAML")
}

fn set(value: &mut Value, path: &[&str], new: impl Into<Value>) {
    let slot = path.iter().fold(value, |v, key| &mut v[*key]);
    *slot = new.into();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_distinct_for_distinct_names() {
        let names = ["a-b", "ab", "aZdb", "a_b", "a:b", "aZb", "a-Zb"];
        let ids: std::collections::HashSet<_> =
            names.iter().map(|n| logical_id("Thing", n)).collect();
        assert_eq!(ids.len(), names.len());
        assert_eq!(logical_id("Thing", "snowy-lgt92"), "ThingsnowyZdlgt92");
    }
}
