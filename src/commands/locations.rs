//! `fleet locations CAT`: the cat's fixes over a time window, in time
//! order, read with a Query on the table's key, cleaned of invalid fixes,
//! and written in the format asked for.

use std::io::Write;
use std::path::Path;

use super::history::{self, DefaultWindow, History};
use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::{Format, LocationsArgs};
use crate::data::formats::{self, LocationFormat};
use crate::error::Error;

pub async fn run(
    file: &Path,
    target: &Target,
    args: &LocationsArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let Session { fleet, ctx, .. } = session::open(file, target, format).await?;
    let cat = history::cat(&fleet, &args.cat)?;
    let window = history::window(
        &fleet,
        &args.window,
        DefaultWindow::Today,
        jiff::Timestamp::now(),
    )?;

    let history = History::read(&ctx, &fleet, cat, &window).await?;

    let chosen = match (args.format, format) {
        (Some(f), _) => f,
        (None, Format::Json) => LocationFormat::Jsonl,
        (None, Format::Text) => LocationFormat::Table,
    };
    formats::write(chosen, &history.fixes, &window.tz, out)?;
    eprintln!("{}", history.describe(cat, &window));
    Ok(())
}
