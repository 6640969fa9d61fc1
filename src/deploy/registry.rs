//! The registry step: what CloudFormation cannot say about a thing. After
//! the stacks are deployed, every tracker's thing gets the fleet's thing
//! type, the full set of its attributes (CloudFormation sets only three),
//! and exactly the group memberships the fleet file declares, among the
//! groups fleet manages. Groups fleet does not manage are left alone.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use aws_sdk_iot::error::ProvideErrorMetadata;
use aws_sdk_iot::types::AttributePayload;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::{Ctx, DeployError, PARALLEL_REGISTRY_CALLS, sdk_message};
use crate::model::{Cat, Fleet};
use crate::progress::Event;

/// A thing as the registry holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThingState {
    pub exists: bool,
    pub thing_type: Option<String>,
    pub attributes: BTreeMap<String, String>,
    /// Its memberships among the groups that were read.
    pub groups: BTreeSet<String>,
}

/// One change the registry step makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Set the thing's type and replace its attributes with these.
    Describe {
        thing: String,
        thing_type: String,
        attributes: BTreeMap<String, String>,
    },
    Join {
        thing: String,
        group: String,
    },
    Leave {
        thing: String,
        group: String,
    },
}

impl Change {
    pub fn thing(&self) -> &str {
        match self {
            Change::Describe { thing, .. }
            | Change::Join { thing, .. }
            | Change::Leave { thing, .. } => thing,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Describe {
                thing_type,
                attributes,
                ..
            } => {
                let names: Vec<&str> = attributes.keys().map(String::as_str).collect();
                write!(f, "type {thing_type}, attributes {}", names.join(", "))
            }
            Change::Join { group, .. } => write!(f, "join group {group}"),
            Change::Leave { group, .. } => write!(f, "leave group {group}"),
        }
    }
}

/// Every attribute a cat's thing should carry: fleet's three and the
/// cat's own.
pub fn desired_attributes(fleet: &Fleet, cat: &Cat) -> BTreeMap<String, String> {
    let mut attributes = cat.attributes.clone();
    attributes.insert("cat".into(), cat.name.clone());
    attributes.insert("dev_eui".into(), cat.dev_eui.clone());
    attributes.insert("fleet".into(), fleet.stack.clone());
    attributes
}

/// The IoT API's largest page, for ListThings and ListThingsInThingGroup.
const PAGE: i32 = 250;

/// Reads every cat's thing from the registry, with its memberships of
/// `groups` (the groups the caller compares; others are not read).
///
/// A no-op `apply` of thousands of cats must not cost a few calls per cat:
/// the things of the fleet's thing type come from ListThings, a page of
/// 250 at a time, and the memberships from ListThingsInThingGroup, one
/// listing per group. Only a cat whose thing is not of that type (not yet
/// typed by the registry step, missing, or retyped by someone else) is
/// described on its own.
pub async fn read(
    ctx: &Ctx,
    fleet: &Fleet,
    groups: &BTreeSet<String>,
) -> Result<HashMap<String, ThingState>, DeployError> {
    let declared: HashSet<&str> = fleet.cats.iter().map(|c| c.device.as_str()).collect();
    let mut states: HashMap<String, ThingState> = things_of_type(ctx, &fleet.thing_type.name)
        .await?
        .into_iter()
        .filter(|(thing, _)| declared.contains(thing.as_str()))
        .collect();

    let untyped: Vec<&str> = fleet
        .cats
        .iter()
        .map(|c| c.device.as_str())
        .filter(|device| !states.contains_key(*device))
        .collect();
    tracing::debug!(
        typed = states.len(),
        described = untyped.len(),
        groups = groups.len(),
        "reading the registry"
    );
    let described: Vec<(String, ThingState)> = stream::iter(untyped)
        .map(|thing| async move { Ok((thing.to_string(), describe(ctx, thing).await?)) })
        .buffer_unordered(PARALLEL_REGISTRY_CALLS)
        .try_collect()
        .await?;
    states.extend(described);

    let memberships: Vec<(&String, Vec<String>)> = stream::iter(groups)
        .map(|group| async move { Ok::<_, DeployError>((group, members(ctx, group).await?)) })
        .buffer_unordered(PARALLEL_REGISTRY_CALLS)
        .try_collect()
        .await?;
    for (group, things) in memberships {
        for thing in things {
            if let Some(state) = states.get_mut(&thing).filter(|s| s.exists) {
                state.groups.insert(group.clone());
            }
        }
    }
    Ok(states)
}

/// The names of the fleet's declared groups: what `status`, `verify` and
/// `cat list` compare a thing's memberships with.
pub fn declared_groups(fleet: &Fleet) -> BTreeSet<String> {
    fleet.groups.iter().map(|g| g.name.clone()).collect()
}

/// Every thing of `thing_type`, with its type and attributes (no groups).
pub async fn things_of_type(
    ctx: &Ctx,
    thing_type: &str,
) -> Result<Vec<(String, ThingState)>, DeployError> {
    let listed = ctx
        .iot
        .list_things()
        .thing_type_name(thing_type)
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let things = match listed {
        Ok(things) => things,
        // No such thing type yet: the core stack makes it.
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(Vec::new()),
        Err(e) => return Err(ctx.call_error(thing_type, "ListThings", sdk_message(e))),
    };

    Ok(things
        .into_iter()
        .filter_map(|t| {
            let state = ThingState {
                exists: true,
                thing_type: t.thing_type_name().map(str::to_string),
                attributes: t.attributes.unwrap_or_default().into_iter().collect(),
                groups: BTreeSet::new(),
            };
            Some((t.thing_name?, state))
        })
        .collect())
}

/// The things directly in `group`; none when the group does not exist.
async fn members(ctx: &Ctx, group: &str) -> Result<Vec<String>, DeployError> {
    let listed = ctx
        .iot
        .list_things_in_thing_group()
        .thing_group_name(group)
        .max_results(PAGE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match listed {
        Ok(things) => Ok(things),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(Vec::new()),
        Err(e) => Err(ctx.call_error(group, "ListThingsInThingGroup", sdk_message(e))),
    }
}

/// One thing with every group it is in.
pub async fn read_thing(ctx: &Ctx, thing: &str) -> Result<ThingState, DeployError> {
    let mut state = describe(ctx, thing).await?;
    if state.exists {
        state.groups = groups_of(ctx, thing).await?;
    }
    Ok(state)
}

/// One thing's type and attributes (no groups).
async fn describe(ctx: &Ctx, thing: &str) -> Result<ThingState, DeployError> {
    let described = match ctx.iot.describe_thing().thing_name(thing).send().await {
        Ok(out) => out,
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(ThingState::default()),
        Err(e) => return Err(ctx.call_error(thing, "DescribeThing", sdk_message(e))),
    };
    let attributes = described
        .attributes()
        .map(|a| a.clone().into_iter().collect())
        .unwrap_or_default();
    Ok(ThingState {
        exists: true,
        thing_type: described.thing_type_name().map(str::to_string),
        attributes,
        groups: BTreeSet::new(),
    })
}

async fn groups_of(ctx: &Ctx, thing: &str) -> Result<BTreeSet<String>, DeployError> {
    let groups = ctx
        .iot
        .list_thing_groups_for_thing()
        .thing_name(thing)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| ctx.call_error(thing, "ListThingGroupsForThing", sdk_message(e)))?;
    Ok(groups.into_iter().filter_map(|g| g.group_name).collect())
}

/// The changes that bring the registry to what the fleet declares.
/// `managed` are the groups fleet may remove things from: the fleet's
/// groups now and those its core stack held before this deployment.
pub fn diff(
    fleet: &Fleet,
    current: &HashMap<String, ThingState>,
    managed: &BTreeSet<String>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let empty = ThingState::default();
    for cat in &fleet.cats {
        let state = current.get(&cat.device).unwrap_or(&empty);
        let thing = &cat.device;

        let attributes = desired_attributes(fleet, cat);
        let thing_type = &fleet.thing_type.name;
        if state.thing_type.as_ref() != Some(thing_type) || state.attributes != attributes {
            changes.push(Change::Describe {
                thing: thing.clone(),
                thing_type: thing_type.clone(),
                attributes,
            });
        }

        let wanted: BTreeSet<&String> = cat.groups.iter().collect();
        for group in wanted.iter().filter(|g| !state.groups.contains(**g)) {
            changes.push(Change::Join {
                thing: thing.clone(),
                group: (*group).clone(),
            });
        }
        for group in state
            .groups
            .iter()
            .filter(|g| managed.contains(*g) && !wanted.contains(g))
        {
            changes.push(Change::Leave {
                thing: thing.clone(),
                group: group.clone(),
            });
        }
    }
    changes
}

/// Makes the changes, a few at a time, reporting each.
pub async fn apply(ctx: &Ctx, changes: &[Change]) -> Result<(), DeployError> {
    stream::iter(changes)
        .map(|change| async move {
            make(ctx, change).await?;
            ctx.reporter.event(Event::Registry {
                thing: change.thing().into(),
                change: change.to_string(),
            });
            Ok::<_, DeployError>(())
        })
        .buffer_unordered(PARALLEL_REGISTRY_CALLS)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

async fn make(ctx: &Ctx, change: &Change) -> Result<(), DeployError> {
    let iot = &ctx.iot;
    match change {
        Change::Describe {
            thing,
            thing_type,
            attributes,
        } => {
            let payload = AttributePayload::builder()
                .set_attributes(Some(attributes.clone().into_iter().collect()))
                .merge(false)
                .build();
            let call = iot
                .update_thing()
                .thing_name(thing)
                .thing_type_name(thing_type)
                .attribute_payload(payload);
            call.send()
                .await
                .map_err(|e| ctx.call_error(thing, "UpdateThing", sdk_message(e)))?;
        }
        Change::Join { thing, group } => {
            let call = iot
                .add_thing_to_thing_group()
                .thing_name(thing)
                .thing_group_name(group);
            call.send()
                .await
                .map_err(|e| ctx.call_error(thing, "AddThingToThingGroup", sdk_message(e)))?;
        }
        Change::Leave { thing, group } => {
            let call = iot
                .remove_thing_from_thing_group()
                .thing_name(thing)
                .thing_group_name(group);
            call.send()
                .await
                .map_err(|e| ctx.call_error(thing, "RemoveThingFromThingGroup", sdk_message(e)))?;
        }
    }
    Ok(())
}
