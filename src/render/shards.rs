//! Thing shard stacks: each tracker's IoT thing lives in the shard its
//! device id hashes to, so the shard of a tracker never depends on the
//! other trackers, and adding one re-deploys only its own shard.
//!
//! The hash is 64-bit FNV-1a of the device id, reduced modulo the shard
//! count: stable across fleet versions and platforms. The device id (the
//! thing's name) is hashed rather than the cat's name so that renaming a
//! cat does not move its thing between stacks.

use std::hash::Hasher;
use std::sync::OnceLock;

use serde_json::Value;

use super::{
    MAX_BODY_BYTES, MAX_RESOURCES, RenderError, Shard, StackTemplate, base, logical_id, set,
};
use crate::model::{Cat, Fleet};

const BASE: &str = include_str!("../../templates/things.yaml");

/// The logical id of the sample thing in the base template.
const SAMPLE_THING: &str = "ThingsnowyZdlgt92";

struct Base {
    head: Value,
    thing: Value,
}

fn base_template() -> &'static Base {
    static TEMPLATE: OnceLock<Base> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let mut head = base(BASE);
        let resources = head["Resources"]
            .as_object_mut()
            .expect("Resources is a mapping");
        let thing = resources
            .remove(SAMPLE_THING)
            .expect("the base template has a sample thing");
        Base { head, thing }
    })
}

/// The shard a device's thing belongs to.
pub fn shard_of(device: &str, shards: u32) -> u32 {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(device.as_bytes());
    (hasher.finish() % u64::from(shards)) as u32
}

/// The stack name of shard `index` of the fleet whose core stack is `stack`.
pub fn shard_stack_name(stack: &str, index: u32) -> String {
    format!("{stack}-things-{index:03}")
}

pub fn render(fleet: &Fleet) -> Result<Vec<Shard>, RenderError> {
    build(fleet).map_err(|o| RenderError::ShardTooLarge {
        index: o.index,
        things: o.things,
        bytes: o.bytes,
        suggested: suggest_shards(fleet),
    })
}

/// The first shard found over CloudFormation's limits.
struct Oversized {
    index: u32,
    things: usize,
    bytes: usize,
}

fn build(fleet: &Fleet) -> Result<Vec<Shard>, Oversized> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); fleet.shards as usize];
    for (i, cat) in fleet.cats.iter().enumerate() {
        members[shard_of(&cat.device, fleet.shards) as usize].push(i);
    }

    let mut shards = Vec::new();
    for (index, cats) in (0..).zip(members) {
        if cats.is_empty() {
            continue;
        }
        let stack = shard(fleet, index, &cats);
        if stack.body.len() > MAX_BODY_BYTES || cats.len() > MAX_RESOURCES {
            return Err(Oversized {
                index,
                things: cats.len(),
                bytes: stack.body.len(),
            });
        }
        shards.push(Shard { index, cats, stack });
    }
    Ok(shards)
}

fn shard(fleet: &Fleet, index: u32, cats: &[usize]) -> StackTemplate {
    let base = base_template();
    let mut t = base.head.clone();
    let description = format!("fleet things shard {index:03} of {}", fleet.stack);
    set(&mut t, &["Description"], description);

    let resources = t["Resources"]
        .as_object_mut()
        .expect("Resources is a mapping");
    for &i in cats {
        let cat = &fleet.cats[i];
        resources.insert(
            logical_id("Thing", &cat.device),
            thing(&base.thing, fleet, cat),
        );
    }

    // Compact, because the body limit is what bounds a shard's size.
    let body = serde_json::to_string(&t).expect("templates serialize");
    StackTemplate {
        stack_name: shard_stack_name(&fleet.stack, index),
        file_name: format!("things-{index:03}.json"),
        template: t,
        body,
    }
}

fn thing(sample: &Value, fleet: &Fleet, cat: &Cat) -> Value {
    let mut thing = sample.clone();
    let p = &mut thing["Properties"];
    set(p, &["ThingName"], cat.device.as_str());
    let attributes = &mut p["AttributePayload"]["Attributes"];
    set(attributes, &["cat"], cat.name.as_str());
    set(attributes, &["dev_eui"], cat.dev_eui.as_str());
    set(attributes, &["fleet"], fleet.stack.as_str());
    thing
}

/// The smallest shard count, doubling from the current one, at which every
/// shard fits. Each thing's share of a body is measured, not guessed.
fn suggest_shards(fleet: &Fleet) -> u32 {
    let mut count = fleet.shards;
    while count < crate::fleetfile::MAX_SHARDS {
        count = (count * 2).min(crate::fleetfile::MAX_SHARDS);
        let trial = Fleet {
            shards: count,
            ..fleet.clone()
        };
        if build(&trial).is_ok() {
            return count;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_of_is_stable() {
        // Fixed values: a change here moves every deployed thing.
        assert_eq!(shard_of("snowy-lgt92", 16), shard_of("snowy-lgt92", 16));
        let spread: std::collections::HashSet<u32> = (0..200)
            .map(|i| shard_of(&format!("cat-{i}"), 16))
            .collect();
        assert_eq!(spread.len(), 16);
    }
}
