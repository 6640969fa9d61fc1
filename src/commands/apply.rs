//! `fleet apply`: deploy the rendered stacks, core first because the
//! shards' things are typed and grouped by what it creates.
//!
//! This first version deploys the stacks one after another and prints a
//! line per stack. The registry step (thing type, groups, further
//! attributes), parallel shards, progress bars and removing shard stacks
//! the fleet no longer needs are tracked in the deploy lifecycle issue.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde_json::json;

use crate::aws::{self, Target};
use crate::cli::Format;
use crate::deploy::{self, Outcome};
use crate::error::Error;

pub async fn run(
    file: &Path,
    target: &Target,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (fleet, rendered) = super::load_and_render(file)?;
    let aws = aws::connect(target, fleet.region.as_deref()).await?;
    let cfn = aws.cloudformation();
    let endpoint = aws.describe();
    let started = Instant::now();

    for stack in rendered.stacks() {
        let deployed = deploy::deploy(&cfn, &endpoint, stack, &fleet.stack).await?;
        let outcome = match deployed.outcome {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
        };
        match format {
            Format::Json => {
                let outputs: serde_json::Map<_, _> = deployed
                    .outputs
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                let line = json!({"stack": deployed.stack, "outcome": outcome, "outputs": outputs});
                writeln!(out, "{line}")?;
            }
            Format::Text => {
                writeln!(out, "{:<40} {outcome}", deployed.stack)?;
                for (key, value) in &deployed.outputs {
                    writeln!(out, "    {key}: {value}")?;
                }
            }
        }
    }

    if format == Format::Text {
        let elapsed = started.elapsed().as_secs_f32();
        writeln!(
            out,
            "applied {} stacks to {endpoint} in {elapsed:.1}s",
            rendered.shards.len() + 1
        )?;
    }
    Ok(())
}
