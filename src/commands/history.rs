//! What the data-side commands (`locations`, `outings`, `places`, `map`)
//! share: the cat named on the command line, the time window its flags
//! choose, and her cleaned fixes in that window, read with a Query.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::cli::WindowArgs;
use crate::data::store::{self, Cost};
use crate::data::window::{self, Window};
use crate::deploy::Ctx;
use crate::error::Error;
use crate::model::{Cat, Fleet};
use crate::track::fix::{self, Fix, Rejected};

/// The cat called `name` (ignoring case), or a usage error that lists the
/// fleet's cats or suggests the closest name.
pub fn cat<'a>(fleet: &'a Fleet, name: &str) -> Result<&'a Cat, Error> {
    if let Some(cat) = fleet.cat(name) {
        return Ok(cat);
    }

    let distance = |c: &&Cat| strsim::levenshtein(&c.name.to_lowercase(), &name.to_lowercase());
    let closest = fleet.cats.iter().min_by_key(distance);
    match closest {
        Some(c) if distance(&c) <= 2 => Err(Error::Usage(format!(
            "there is no cat `{name}` in the fleet file; did you mean `{}`?",
            c.name
        ))),
        _ => {
            let names: Vec<&str> = fleet.cats.iter().map(|c| c.name.as_str()).collect();
            Err(Error::Usage(format!(
                "there is no cat `{name}` in the fleet file (cats: {})",
                names.join(", ")
            )))
        }
    }
}

/// The window the flags choose, in `--tz`, the fleet file's zone or the
/// machine's; `default` is used when no flag chooses one.
pub fn window(
    fleet: &Fleet,
    args: &WindowArgs,
    default: DefaultWindow,
    now: Timestamp,
) -> Result<Window, Error> {
    let tz =
        window::zone(args.tz.as_deref().or(fleet.timezone.as_deref())).map_err(Error::Usage)?;
    let chosen = args.day.is_some() || args.last.is_some() || args.from.is_some();
    let last = match default {
        DefaultWindow::LastDays(days) if !chosen && args.to.is_none() => Some(format!("{days}d")),
        _ => None,
    };
    let choice = window::Choice {
        day: args.day.as_deref(),
        last: args.last.as_deref().or(last.as_deref()),
        from: args.from.as_deref(),
        to: args.to.as_deref(),
    };
    window::resolve(&choice, tz, now).map_err(Error::Usage)
}

/// What a command looks at when none of --day, --last, --from/--to is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultWindow {
    /// Today so far.
    Today,
    /// The last N days up to now.
    LastDays(u32),
}

/// A cat's fixes in a window, cleaned, with what was dropped and why.
pub struct History {
    pub fixes: Vec<Fix>,
    pub rejected: Rejected,
    /// Items that are not fixes at all (no position, unreadable time).
    pub unreadable: usize,
    pub cost: Cost,
}

impl History {
    /// Reads `cat`'s items in `window` with a Query and cleans them.
    pub async fn read(
        ctx: &Ctx,
        fleet: &Fleet,
        cat: &Cat,
        window: &Window,
    ) -> Result<History, Error> {
        let started = std::time::Instant::now();
        let (items, cost) = store::items(ctx, &fleet.table.name, &cat.device, window).await?;
        tracing::debug!(
            items = cost.items,
            pages = cost.pages,
            ms = started.elapsed().as_millis() as u64,
            "read the window"
        );

        let parsed: Vec<Fix> = items
            .iter()
            .filter_map(|item| Fix::from_item(item).ok())
            .collect();
        let unreadable = items.len() - parsed.len();
        let (fixes, rejected) = fix::clean(parsed);
        Ok(History {
            fixes,
            rejected,
            unreadable,
            cost,
        })
    }

    /// One line for stderr: how many fixes, from what, and what was dropped.
    pub fn describe(&self, cat: &Cat, window: &Window) -> String {
        let unreadable = if self.unreadable > 0 {
            format!(", {} unreadable items", self.unreadable)
        } else {
            String::new()
        };
        let pages = if self.cost.pages == 1 {
            "page"
        } else {
            "pages"
        };
        format!(
            "{}: {} fixes from {} to {} ({} items read in {} {pages}; dropped: {}{unreadable})",
            cat.name,
            self.fixes.len(),
            local(window.from, &window.tz),
            local(window.to, &window.tz),
            self.cost.items,
            self.cost.pages,
            self.rejected,
        )
    }
}

/// Writes a command's report: as one JSON document with `--output json`,
/// else through `print`, the table for people.
pub fn write_report<R: serde::Serialize>(
    report: &R,
    format: crate::cli::Format,
    out: &mut dyn std::io::Write,
    print: impl FnOnce(&R, &mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    match format {
        crate::cli::Format::Json => {
            serde_json::to_writer(&mut *out, report).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        crate::cli::Format::Text => print(report, out)?,
    }
    Ok(())
}

/// RFC 3339 with the zone's offset, e.g. 2026-12-01T00:21:57+01:00.
pub fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}
