//! `fleet status`: one screen on how the deployed fleet compares with the
//! fleet file: each stack's status and last change, each cat's thing, and
//! things that carry this fleet's tag but are not in the file; and each
//! cat's last valid fix and battery, from the newest items in the table.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use futures_util::{StreamExt, TryStreamExt, stream};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::json;

use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::Format;
use crate::data::{store, window};
use crate::deploy::registry::{self, ThingState};
use crate::deploy::{Ctx, DeployError, discover, sdk_message};
use crate::error::Error;
use crate::model::{Cat, Fleet};
use crate::track::fix::{self, Fix};

/// The newest items read per cat to find her last valid fix: a collar
/// low on battery sends "no fix" markers, and the last fix is the newest
/// one that survives cleaning among these.
const LATEST_ITEMS: i32 = 10;

/// Cats whose last fix is read at once.
const CONCURRENT_QUERIES: usize = 8;

pub async fn run(
    file: &Path,
    target: &Target,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let Session {
        fleet,
        rendered,
        ctx,
        ..
    } = session::open(file, target, format).await?;

    let deployed = discover::fleet_stacks(&ctx).await?;
    let things = registry::read(&ctx, &fleet, &registry::declared_groups(&fleet)).await?;
    let mut tagged: BTreeSet<String> = tagged_things(&ctx, &fleet.stack)
        .await?
        .into_iter()
        .collect();
    // On AWS, ListThings filters a typed thing only by the attributes its
    // type makes searchable, which `fleet` need not be: a thing of the
    // fleet's type is the fleet's too.
    let typed = registry::things_of_type(&ctx, &fleet.thing_type.name).await?;
    tagged.extend(typed.into_iter().map(|(thing, _)| thing));
    let declared: BTreeSet<&str> = fleet.cats.iter().map(|c| c.device.as_str()).collect();
    let extra: Vec<&String> = tagged
        .iter()
        .filter(|t| !declared.contains(t.as_str()))
        .collect();

    let mut stacks = Vec::new();
    for template in rendered.stacks() {
        let found = deployed.iter().find(|s| s.name == template.stack_name);
        let status = found.map_or("NOT DEPLOYED".to_string(), |s| s.status.to_string());
        stacks.push(json!({"stack": template.stack_name, "status": status, "changed": found.and_then(|s| s.changed.clone())}));
    }
    let wanted: BTreeSet<&str> = rendered.stacks().map(|s| s.stack_name.as_str()).collect();
    for orphan in deployed
        .iter()
        .filter(|s| !wanted.contains(s.name.as_str()))
    {
        stacks.push(json!({"stack": orphan.name, "status": orphan.status.to_string(), "changed": orphan.changed, "orphan": true}));
    }
    let last_fixes = last_fixes(&ctx, &fleet).await?;
    let tz = window::zone(fleet.timezone.as_deref()).unwrap_or_else(|_| TimeZone::system());
    let cats: Vec<_> = fleet
        .cats
        .iter()
        .zip(&last_fixes)
        .map(|(c, last)| {
            let mut status = cat_status(&fleet, c, things.get(&c.device));
            status["last_fix"] = last
                .as_ref()
                .map_or(serde_json::Value::Null, |f| last_fix_json(f, &tz));
            status
        })
        .collect();

    match format {
        Format::Json => {
            let line = json!({"stacks": stacks, "cats": cats, "extra_things": extra});
            writeln!(out, "{line}")?;
        }
        Format::Text => print_text(out, &stacks, &cats, &extra)?,
    }
    Ok(())
}

/// Each cat's newest valid fix, in the order of the fleet file's cats.
async fn last_fixes(ctx: &Ctx, fleet: &Fleet) -> Result<Vec<Option<Fix>>, DeployError> {
    let table = fleet.table.name.as_str();
    stream::iter(&fleet.cats)
        .map(|cat| async move {
            let items = store::latest(ctx, table, &cat.device, LATEST_ITEMS).await?;
            let fixes: Vec<Fix> = items
                .iter()
                .filter_map(|i| Fix::from_item(i).ok())
                .collect();
            let (valid, _) = fix::clean(fixes);
            Ok(valid.into_iter().last())
        })
        .buffered(CONCURRENT_QUERIES)
        .try_collect()
        .await
}

fn last_fix_json(fix: &Fix, tz: &TimeZone) -> serde_json::Value {
    json!({
        "time": fix.time.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        "latitude": fix.latitude,
        "longitude": fix.longitude,
        "battery": fix.battery,
    })
}

/// "2026-12-01 14:05 (3h ago)", in the fleet's zone.
fn last_seen(value: &serde_json::Value, now: Timestamp) -> String {
    let Some(time) = value["time"].as_str() else {
        return "-".to_string();
    };
    let ago = time
        .parse::<Timestamp>()
        .map(|t| super::outings::duration(now.duration_since(t).as_secs().max(0)))
        .unwrap_or_default();
    format!(
        "{} ({ago} ago)",
        time.get(..16).unwrap_or(time).replace('T', " ")
    )
}

fn cat_status(fleet: &Fleet, cat: &Cat, state: Option<&ThingState>) -> serde_json::Value {
    let state = state.cloned().unwrap_or_default();
    let typed = state.thing_type.as_deref() == Some(fleet.thing_type.name.as_str());
    let attributes = state.attributes == registry::desired_attributes(fleet, cat);
    let wanted: BTreeSet<String> = cat.groups.iter().cloned().collect();
    let groups = wanted.is_subset(&state.groups);
    let in_sync = state.exists && typed && attributes && groups;
    json!({
        "cat": cat.name,
        "device": cat.device,
        "thing": state.exists,
        "type": typed,
        "attributes": attributes,
        "groups": groups,
        "in_sync": in_sync,
    })
}

fn print_text(
    out: &mut dyn Write,
    stacks: &[serde_json::Value],
    cats: &[serde_json::Value],
    extra: &[&String],
) -> Result<(), Error> {
    writeln!(out, "{:<36} {:<24} LAST CHANGE", "STACK", "STATUS")?;
    for s in stacks {
        let orphan = if s["orphan"] == true {
            "  (no longer in the fleet file)"
        } else {
            ""
        };
        let changed = s["changed"].as_str().unwrap_or("-");
        writeln!(
            out,
            "{:<36} {:<24} {changed}{orphan}",
            text(&s["stack"]),
            text(&s["status"])
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "{:<20} {:<24} {:<30} {:<8} THING",
        "CAT", "DEVICE", "LAST FIX", "BATTERY"
    )?;
    let now = Timestamp::now();
    for c in cats {
        let state = match (c["thing"] == true, c["in_sync"] == true) {
            (false, _) => "missing".to_string(),
            (true, true) => "ok".to_string(),
            (true, false) => {
                let off: Vec<&str> = ["type", "attributes", "groups"]
                    .into_iter()
                    .filter(|k| c[*k] != true)
                    .collect();
                format!("differs: {} (run `fleet apply`)", off.join(", "))
            }
        };
        let battery = c["last_fix"]["battery"]
            .as_f64()
            .map_or("-".to_string(), |v| format!("{v:.2} V"));
        writeln!(
            out,
            "{:<20} {:<24} {:<30} {battery:<8} {state}",
            text(&c["cat"]),
            text(&c["device"]),
            last_seen(&c["last_fix"], now),
        )?;
    }

    if !extra.is_empty() {
        let names: Vec<&str> = extra.iter().map(|s| s.as_str()).collect();
        writeln!(
            out,
            "\nthings tagged for this fleet but not in the file: {}",
            names.join(", ")
        )?;
    }
    Ok(())
}

fn text(value: &serde_json::Value) -> &str {
    value.as_str().unwrap_or("?")
}

/// Things whose `fleet` attribute names this fleet.
async fn tagged_things(ctx: &Ctx, stack: &str) -> Result<Vec<String>, DeployError> {
    let things = ctx
        .iot
        .list_things()
        .attribute_name("fleet")
        .attribute_value(stack)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| ctx.call_error(stack, "ListThings", sdk_message(e)))?;
    Ok(things.into_iter().filter_map(|t| t.thing_name).collect())
}
