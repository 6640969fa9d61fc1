//! `fleet verify`: the static checks, then a test uplink per device end to
//! end; prints each result and fails when any does.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::{Format, VerifyArgs};
use crate::error::Error;
use crate::verify::{self, Check, EndToEnd};

/// Runs the checks; returns whether all passed.
pub async fn run(
    file: &Path,
    target: &Target,
    args: &VerifyArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<bool, Error> {
    let Session {
        aws,
        fleet,
        rendered,
        ctx,
    } = session::open(file, target, format).await?;
    let cats: Vec<_> = match (&args.cat, args.all) {
        (Some(name), _) => vec![
            fleet
                .cat(name)
                .ok_or_else(|| Error::Usage(format!("no cat `{name}` in the fleet file")))?,
        ],
        (None, true) => fleet.cats.iter().collect(),
        (None, false) => vec![&fleet.cats[0]],
    };

    let checks = verify::static_checks(&ctx, &aws, &fleet, &rendered).await;
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut trips = Vec::with_capacity(cats.len());
    for cat in cats {
        trips.push(verify::end_to_end(&ctx, &aws, &fleet, cat, timeout, args.keep).await);
    }

    let ok = checks.iter().all(|c| c.ok) && trips.iter().all(|t| t.ok);
    match format {
        Format::Json => writeln!(
            out,
            "{}",
            json!({"ok": ok, "checks": checks, "end_to_end": trips})
        )?,
        Format::Text => print_text(out, &checks, &trips, args.timeout)?,
    }
    Ok(ok)
}

fn print_text(
    out: &mut dyn Write,
    checks: &[Check],
    trips: &[EndToEnd],
    timeout: f64,
) -> Result<(), Error> {
    for c in checks {
        writeln!(out, "{} {:<12} {}", mark(c.ok), c.name, c.detail)?;
    }
    for t in trips {
        match t.latency_ms {
            Some(ms) => {
                let kept = if t.kept { "kept" } else { "deleted" };
                writeln!(
                    out,
                    "{} {:<12} uplink on {} stored in {ms} ms (test item {kept})",
                    mark(true),
                    t.device,
                    t.topic
                )?;
            }
            None => {
                writeln!(
                    out,
                    "{} {:<12} no item {timeout:.1} s after publishing on {}:",
                    mark(false),
                    t.device,
                    t.topic
                )?;
                for cause in &t.diagnosis {
                    writeln!(out, "    - {cause}")?;
                }
            }
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count() + trips.iter().filter(|t| !t.ok).count();
    let total = checks.len() + trips.len();
    match failed {
        0 => writeln!(out, "verified: all {total} checks pass")?,
        n => writeln!(out, "verify: {n} of {total} checks failed")?,
    }
    Ok(())
}

fn mark(ok: bool) -> &'static str {
    if ok { "ok  " } else { "FAIL" }
}
