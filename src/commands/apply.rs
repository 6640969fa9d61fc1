//! `fleet apply`: deploy the core stack, the thing shards and the registry
//! step, then summarise.

use std::io::Write;
use std::path::Path;

use aws_sdk_cloudformation::types::StackStatus;
use serde_json::json;

use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::Format;
use crate::deploy::{apply, discover};
use crate::error::Error;

pub async fn run(
    file: &Path,
    target: &Target,
    yes: bool,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let Session {
        fleet,
        rendered,
        ctx,
        ..
    } = session::open(file, target, format).await?;

    let recreate = yes || confirm_recreate(&ctx, format).await?;
    let confirm = move |_: &str| recreate;
    let summary = apply::apply(&ctx, &fleet, &rendered, &confirm).await?;

    match format {
        Format::Json => {
            let outputs: serde_json::Map<_, _> = summary
                .outputs
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            let line = json!({
                "event": "summary",
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "deleted": summary.deleted,
                "registry_changes": summary.registry_changes,
                "seconds": (summary.elapsed.as_secs_f64() * 10.0).round() / 10.0,
                "outputs": outputs,
            });
            writeln!(out, "{line}")?;
        }
        Format::Text => {
            let changed = summary.created.len() + summary.updated.len() + summary.deleted.len();
            if changed == 0 && summary.registry_changes == 0 {
                writeln!(
                    out,
                    "no changes: {} stacks already up to date",
                    summary.unchanged.len()
                )?;
            } else {
                writeln!(
                    out,
                    "applied: {} created, {} updated, {} unchanged, {} deleted; {} registry changes",
                    summary.created.len(),
                    summary.updated.len(),
                    summary.unchanged.len(),
                    summary.deleted.len(),
                    summary.registry_changes,
                )?;
            }
            for (key, value) in &summary.outputs {
                writeln!(out, "  {key}: {value}")?;
            }
            writeln!(
                out,
                "done in {:.1}s against {}",
                summary.elapsed.as_secs_f32(),
                ctx.endpoint
            )?;
        }
    }
    Ok(())
}

/// Asks once, before anything is deployed, whether stacks whose first
/// creation failed may be deleted and created again.
async fn confirm_recreate(ctx: &crate::deploy::Ctx, format: Format) -> Result<bool, Error> {
    if !session::interactive(format) {
        return Ok(false);
    }
    let stacks = discover::fleet_stacks(ctx).await?;
    let failed: Vec<&str> = stacks
        .iter()
        .filter(|s| s.status == StackStatus::RollbackComplete)
        .map(|s| s.name.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(false);
    }
    let question = format!(
        "{} failed to create and hold nothing. Delete and create again? [y/N]",
        failed.join(", ")
    );
    Ok(matches!(
        session::ask(&question)?.as_str(),
        "y" | "Y" | "yes"
    ))
}
