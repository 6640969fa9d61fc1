//! `fleet validate`: the fleet file and its rendered templates, checked
//! without calling AWS.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::cli::Format;
use crate::error::Error;
use crate::render::{MAX_BODY_BYTES, StackTemplate};

pub fn run(file: &Path, format: Format, out: &mut dyn Write) -> Result<(), Error> {
    let (fleet, rendered) = super::load_and_render(file)?;
    let stacks: Vec<&StackTemplate> = rendered.stacks().collect();

    match format {
        Format::Json => {
            let stacks: Vec<_> = stacks
                .iter()
                .map(|s| {
                    json!({
                        "stack": s.stack_name,
                        "file": s.file_name,
                        "bytes": s.body.len(),
                        "resources": s.resource_count(),
                    })
                })
                .collect();
            let summary = json!({
                "ok": true,
                "file": file.display().to_string(),
                "stack": fleet.stack,
                "cats": fleet.cats.len(),
                "groups": fleet.groups.len(),
                "shards": fleet.shards,
                "stacks": stacks,
            });
            writeln!(out, "{summary}")?;
        }
        Format::Text => {
            let largest = stacks.iter().map(|s| s.body.len()).max().unwrap_or(0);
            writeln!(
                out,
                "{} is valid: stack `{}`, {} cats, {} groups, {} stacks (core + {} thing shards)",
                file.display(),
                fleet.stack,
                fleet.cats.len(),
                fleet.groups.len(),
                stacks.len(),
                rendered.shards.len(),
            )?;
            writeln!(
                out,
                "largest template: {largest} bytes of CloudFormation's {MAX_BODY_BYTES}"
            )?;
        }
    }
    Ok(())
}
