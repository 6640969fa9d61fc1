//! `fleet plan`: print what `apply` would change, per stack and in the
//! registry. Exit status 0 means no changes, 3 means changes are pending.

use std::io::Write;
use std::path::Path;

use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::Format;
use crate::deploy::plan::{self, Plan, StackAction};
use crate::error::Error;

/// The exit status of a plan with pending changes.
pub const CHANGES_PENDING: u8 = 3;

/// Prints the plan; returns whether it holds changes.
pub async fn run(
    file: &Path,
    target: &Target,
    format: Format,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    let Session {
        fleet,
        rendered,
        ctx,
        ..
    } = session::open(file, target, format).await?;
    let plan = plan::plan(&ctx, &fleet, &rendered).await?;

    match format {
        Format::Json => {
            let mut value = serde_json::to_value(&plan).expect("plans serialize");
            value["changes"] = plan.has_changes().into();
            writeln!(out, "{value}")?;
        }
        Format::Text => print_text(&plan, out)?,
    }
    Ok(plan.has_changes())
}

fn print_text(plan: &Plan, out: &mut dyn Write) -> Result<(), Error> {
    for stack in plan
        .stacks
        .iter()
        .filter(|s| s.action != StackAction::Unchanged)
    {
        let action = serde_json::to_value(stack.action).expect("actions serialize");
        writeln!(out, "{}: {}", stack.stack, action.as_str().unwrap_or("?"))?;
        for change in &stack.changes {
            let mark = match change.action.as_str() {
                "Add" => '+',
                "Remove" => '-',
                _ => '~',
            };
            write!(
                out,
                "  {mark} {} ({})",
                change.logical_id, change.resource_type
            )?;
            if !change.properties.is_empty() {
                write!(out, " {}", change.properties.join(", "))?;
            }
            if let Some(replacement) = &change.replacement {
                write!(out, " [replacement: {replacement}]")?;
            }
            writeln!(out)?;
        }
    }
    if !plan.registry.is_empty() {
        writeln!(out, "registry:")?;
        for change in &plan.registry {
            writeln!(out, "  ~ {}: {change}", change.thing())?;
        }
    }

    let unchanged = plan
        .stacks
        .iter()
        .filter(|s| s.action == StackAction::Unchanged)
        .count();
    if plan.has_changes() {
        let stacks = plan.stacks.len() - unchanged;
        let registry = plan.registry.len();
        writeln!(
            out,
            "{stacks} stacks to change, {unchanged} unchanged; {registry} registry changes"
        )?;
    } else {
        writeln!(
            out,
            "no changes: {unchanged} stacks and the registry match the fleet file"
        )?;
    }
    Ok(())
}
