//! `fleet destroy`: tear the fleet down after the user confirms, keeping
//! the location table unless `--delete-data` is confirmed too.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::Format;
use crate::deploy::destroy::{self, TableFate};
use crate::error::Error;

pub async fn run(
    file: &Path,
    target: &Target,
    yes: bool,
    delete_data: bool,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let Session { fleet, ctx, .. } = session::open(file, target, format).await?;
    confirm(&fleet.stack, &fleet.table.name, yes, delete_data, format)?;

    let destroyed = destroy::destroy(&ctx, &fleet, delete_data).await?;

    match format {
        Format::Json => {
            let (table, fate) = match &destroyed.table {
                TableFate::Kept { name, .. } => (name, "kept"),
                TableFate::Deleted { name } => (name, "deleted"),
                TableFate::Absent { name } => (name, "absent"),
            };
            let line = json!({"event": "summary", "deleted_stacks": destroyed.stacks, "table": table, "table_fate": fate});
            writeln!(out, "{line}")?;
        }
        Format::Text => {
            match destroyed.stacks.len() {
                0 => writeln!(
                    out,
                    "nothing to destroy: no stack of fleet `{}` exists",
                    fleet.stack
                )?,
                n => writeln!(out, "destroyed {n} stacks of fleet `{}`", fleet.stack)?,
            }
            match &destroyed.table {
                TableFate::Kept { name, items } => {
                    let items = items
                        .map(|n| format!(" (about {n} items)"))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "kept the location table `{name}`{items}; `fleet destroy --delete-data` deletes it"
                    )?;
                }
                TableFate::Deleted { name } => {
                    writeln!(out, "deleted the location table `{name}`")?
                }
                TableFate::Absent { .. } => {}
            }
        }
    }
    Ok(())
}

/// Asks the user to type the stack name (and the table name when data is
/// to go too), unless `--yes` was given; refuses without a terminal.
fn confirm(
    stack: &str,
    table: &str,
    yes: bool,
    delete_data: bool,
    format: Format,
) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !session::interactive(format) {
        return Err(Error::Usage(
            "destroy asks for confirmation; pass --yes when not running in a terminal".into(),
        ));
    }
    let answer = session::ask(&format!(
        "Type the stack name `{stack}` to destroy the fleet:"
    ))?;
    if answer != stack {
        return Err(Error::Usage("not confirmed; nothing was destroyed".into()));
    }
    if delete_data {
        let answer = session::ask(&format!(
            "Type the table name `{table}` to delete every location it holds too:"
        ))?;
        if answer != table {
            return Err(Error::Usage(
                "deleting the data was not confirmed; nothing was destroyed".into(),
            ));
        }
    }
    Ok(())
}
