//! `fleet cat add | remove | list`: change the fleet file one cat at a
//! time, keeping everything else in it as the user wrote it, then apply.
//!
//! The edited text is validated and rendered before it replaces the file,
//! and the replacement is atomic (a temporary file renamed over it), so a
//! mistake never leaves a half-written or invalid fleet file behind.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::{CatAddArgs, Format};
use crate::deploy::registry;
use crate::error::Error;
use crate::fleetfile::edit::{self, NewCat};
use crate::render;

pub fn add(file: &Path, args: &CatAddArgs) -> Result<(), Error> {
    let text = read(file)?;
    let attributes = args
        .attr
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(Error::Usage(format!(
                "--attr `{pair}`: write it as KEY=VALUE"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cat = NewCat {
        name: args.name.clone(),
        device: args.device.clone(),
        dev_eui: args.dev_eui.clone(),
        groups: args.group.clone(),
        attributes,
    };

    let edited =
        edit::add_cat(&text, &cat).map_err(|e| Error::Usage(format!("{}: {e}", file.display())))?;
    replace(file, &edited)
}

pub fn remove(file: &Path, name: &str) -> Result<(), Error> {
    let text = read(file)?;
    let edited = edit::remove_cat(&text, name)
        .map_err(|e| Error::Usage(format!("{}: {e}", file.display())))?;
    replace(file, &edited)
}

fn read(file: &Path) -> Result<String, Error> {
    std::fs::read_to_string(file).map_err(|source| {
        Error::Load(crate::fleetfile::LoadError::Read {
            path: file.to_path_buf(),
            source,
        })
    })
}

/// Validates and renders the edited text, then writes it in place of the
/// fleet file through a rename, keeping the file's permissions.
fn replace(file: &Path, text: &str) -> Result<(), Error> {
    let fleet = crate::fleetfile::from_str(text, file).map_err(|problems| {
        Error::Usage(format!(
            "the edit would make the fleet file invalid, so it was not written:\n{problems}"
        ))
    })?;
    render::render(&fleet).map_err(|source| Error::Render {
        file: file.into(),
        source,
    })?;

    let error = |source| Error::Write {
        path: file.to_path_buf(),
        source,
    };
    let tmp = file.with_extension("yaml.fleet-tmp");
    std::fs::write(&tmp, text).map_err(error)?;
    if let Ok(metadata) = std::fs::metadata(file) {
        std::fs::set_permissions(&tmp, metadata.permissions()).map_err(error)?;
    }
    std::fs::rename(&tmp, file).map_err(error)
}

/// Lists the cats with their tracker, shard and, unless offline, whether
/// their thing exists in the registry.
pub async fn list(
    file: &Path,
    target: &Target,
    offline: bool,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (fleet, registry) = if offline {
        (crate::fleetfile::load(file)?, None)
    } else {
        let Session { fleet, ctx, .. } = session::open(file, target, format).await?;
        let things = registry::read(&ctx, &fleet, &Default::default()).await?;
        (fleet, Some(things))
    };

    let rows: Vec<_> = fleet
        .cats
        .iter()
        .map(|c| {
            let shard =
                render::shard_stack_name(&fleet.stack, render::shard_of(&c.device, fleet.shards));
            let exists = registry
                .as_ref()
                .map(|r| r.get(&c.device).is_some_and(|t| t.exists));
            json!({
                "name": c.name,
                "device": c.device,
                "dev_eui": c.dev_eui,
                "groups": c.groups,
                "shard": shard,
                "in_registry": exists,
            })
        })
        .collect();

    match format {
        Format::Json => {
            for row in &rows {
                writeln!(out, "{row}")?;
            }
        }
        Format::Text => {
            writeln!(
                out,
                "{:<16} {:<20} {:<17} {:<24} {:<28} REGISTRY",
                "NAME", "DEVICE", "DEVEUI", "GROUPS", "SHARD"
            )?;
            for row in &rows {
                let groups: Vec<&str> = row["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|g| g.as_str())
                    .collect();
                let registry = match row["in_registry"].as_bool() {
                    Some(true) => "yes",
                    Some(false) => "missing",
                    None => "-",
                };
                writeln!(
                    out,
                    "{:<16} {:<20} {:<17} {:<24} {:<28} {registry}",
                    row["name"].as_str().unwrap_or(""),
                    row["device"].as_str().unwrap_or(""),
                    row["dev_eui"].as_str().unwrap_or(""),
                    groups.join(","),
                    row["shard"].as_str().unwrap_or(""),
                )?;
            }
        }
    }
    Ok(())
}
