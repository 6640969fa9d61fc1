//! `fleet simulate`: generate the cats' uplinks, then publish them, write
//! the rule's items straight into the table, or print or save them; and
//! say what was done. Progress is drawn here: a bar when stderr is a
//! terminal, a line every tenth otherwise, nothing with `--output json`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::session::{self, Session};
use crate::aws::Target;
use crate::cli::{Format, SimulateArgs};
use crate::error::Error;
use crate::model::{Cat, Fleet};
use crate::simulate::{self, CatTally, Home, Plan, Progress, Sent, Uplink, direct, publish};

/// The exit status when Ctrl-C stopped the sending.
pub const INTERRUPTED: u8 = 130;

/// What to do with the uplinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Mode {
    Publish,
    Direct,
    DryRun,
    ToFile,
}

impl Mode {
    fn of(args: &SimulateArgs) -> Mode {
        if args.direct {
            Mode::Direct
        } else if args.dry_run {
            Mode::DryRun
        } else if args.to_file.is_some() {
            Mode::ToFile
        } else {
            Mode::Publish
        }
    }
}

/// What was sent, and where.
struct Outcome {
    sent: Sent,
    destination: String,
    /// Direct mode: why the rule wrote nothing for some uplinks.
    skipped: BTreeMap<String, usize>,
}

impl Outcome {
    fn nothing() -> Outcome {
        Outcome {
            sent: Sent {
                count: 0,
                interrupted: false,
            },
            destination: String::new(),
            skipped: BTreeMap::new(),
        }
    }
}

/// Simulates; returns the exit status (0, or 130 when interrupted).
pub async fn run(
    file: &Path,
    target: &Target,
    args: &SimulateArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    if !(args.rate.is_finite() && args.rate > 0.0) {
        return Err(Error::Usage(format!(
            "--rate {} is not a positive number of uplinks a second",
            args.rate
        )));
    }
    let mode = Mode::of(args);
    if matches!(mode, Mode::DryRun | Mode::ToFile) {
        return offline(file, args, mode, format, out);
    }

    let session = session::open(file, target, format).await?;
    let plan = plan(&session.fleet, args)?;
    let uplinks = plan.generate();
    let started = Instant::now();
    let outcome = if mode == Mode::Direct {
        direct(&session, &plan, &uplinks, format).await?
    } else {
        publish(&session, &plan, &uplinks, args.rate, format).await?
    };

    let summary = Summary::new(&plan, mode, &uplinks, &outcome, started.elapsed());
    summary.write(format, out)?;
    Ok(if outcome.sent.interrupted {
        INTERRUPTED
    } else {
        0
    })
}

/// `--dry-run` and `--to-file`: no AWS call at all.
fn offline(
    file: &Path,
    args: &SimulateArgs,
    mode: Mode,
    format: Format,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let fleet = crate::fleetfile::load(file)?;
    let plan = plan(&fleet, args)?;
    let uplinks = plan.generate();
    let started = Instant::now();
    let outcome = match &args.to_file {
        Some(dir) => to_files(&plan, &uplinks, dir)?,
        None if format == Format::Json => {
            // The uplinks alone, one a line, for jq or `fleet rule test`.
            for uplink in &uplinks {
                serde_json::to_writer(&mut *out, &plan.json(uplink))
                    .map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
            return Ok(0);
        }
        None => Outcome::nothing(),
    };
    Summary::new(&plan, mode, &uplinks, &outcome, started.elapsed()).write(format, out)?;
    Ok(0)
}

/// The plan the flags describe.
fn plan<'a>(fleet: &'a Fleet, args: &SimulateArgs) -> Result<Plan<'a>, Error> {
    let cats = select_cats(fleet, &args.cats)?;
    let tz = zone(args.tz.as_deref().or(fleet.timezone.as_deref()))?;
    if let Some(path) = &args.replay {
        return replay_plan(fleet, args, cats, tz, path);
    }
    let start = args
        .start
        .unwrap_or_else(|| Timestamp::now().to_zoned_datetime(tz.clone()).date());
    let (from, to) = simulate::local_days(start, args.days, &tz).map_err(Error::Usage)?;
    let home = match args.home {
        Some(home) => home,
        None => Home::new(simulate::DEFAULT_HOME.0, simulate::DEFAULT_HOME.1)
            .expect("the default home is valid"),
    };
    tracing::debug!(
        seed = args.seed,
        %from,
        %to,
        tz = tz.iana_name().unwrap_or("the machine's"),
        home = %format!("{},{}", home.latitude, home.longitude),
        cats = cats.len(),
        "simulation plan"
    );
    Ok(Plan {
        fleet,
        cats,
        home,
        from,
        to,
        tz,
        seed: args.seed,
        replay: None,
    })
}

/// `--replay FILE`: one cat, the track's points, from its first point to
/// just after its last.
fn replay_plan<'a>(
    fleet: &'a Fleet,
    args: &SimulateArgs,
    cats: Vec<&'a Cat>,
    tz: TimeZone,
    path: &Path,
) -> Result<Plan<'a>, Error> {
    if cats.len() != 1 {
        return Err(Error::Usage(format!(
            "--replay plays one cat's track; name her with --cats (the fleet has {} cats)",
            cats.len()
        )));
    }
    let mut track = simulate::replay::read(path).map_err(|e| Error::Usage(e.to_string()))?;
    if let Some(day) = args.start {
        simulate::replay::start_on(&mut track, day, &tz).map_err(Error::Usage)?;
    }

    let instant = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
    };
    let from = instant(track[0].time_ms)?;
    let to = instant(track[track.len() - 1].time_ms + 1)?;
    let home = match args.home {
        Some(home) => home,
        None => Home::new(track[0].latitude, track[0].longitude).map_err(Error::Usage)?,
    };
    Ok(Plan {
        fleet,
        cats,
        home,
        from,
        to,
        tz,
        seed: args.seed,
        replay: Some(track),
    })
}

/// The cats named, in the order given, or every cat.
fn select_cats<'a>(fleet: &'a Fleet, names: &[String]) -> Result<Vec<&'a Cat>, Error> {
    if names.is_empty() {
        return Ok(fleet.cats.iter().collect());
    }
    let mut cats: Vec<&Cat> = Vec::new();
    for name in names {
        let cat = fleet.cat(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = fleet.cats.iter().map(|c| c.name.as_str()).collect();
            Error::Usage(format!(
                "no cat `{name}` in the fleet file; its cats are {}",
                known.join(", ")
            ))
        })?;
        if !cats.iter().any(|c| c.device == cat.device) {
            cats.push(cat);
        }
    }
    Ok(cats)
}

/// The zone named by --tz or the fleet file, else the machine's.
fn zone(name: Option<&str>) -> Result<TimeZone, Error> {
    match name {
        Some(name) => TimeZone::get(name)
            .map_err(|e| Error::Usage(format!("unknown time zone `{name}`: {e}"))),
        None => Ok(TimeZone::system()),
    }
}

async fn publish(
    session: &Session,
    plan: &Plan<'_>,
    uplinks: &[Uplink],
    rate: f64,
    format: Format,
) -> Result<Outcome, Error> {
    let publisher = publish::Publisher::connect(&session.ctx, &session.aws).await?;
    let progress = drawer(format, uplinks.len(), "published");
    let interrupted = session.ctx.interrupted.clone();
    let sent = publisher
        .publish_all(plan, uplinks, rate, progress.as_ref(), interrupted)
        .await?;
    Ok(Outcome {
        sent,
        destination: publisher.endpoint,
        skipped: BTreeMap::new(),
    })
}

async fn direct(
    session: &Session,
    plan: &Plan<'_>,
    uplinks: &[Uplink],
    format: Format,
) -> Result<Outcome, Error> {
    let fleet = &session.fleet;
    let statement = crate::iotsql::parse(&fleet.rule.sql)
        .map_err(|e| Error::Usage(format!("the rule `{}`'s SQL: {e}", fleet.rule.name)))?;
    let judged = direct::judge(plan, &statement, uplinks);
    let progress = drawer(format, judged.items.len(), "written");
    let interrupted = session.ctx.interrupted.clone();
    let sent = direct::write_all(
        &session.ctx,
        &fleet.table.name,
        &judged.items,
        progress.as_ref(),
        interrupted,
    )
    .await?;
    Ok(Outcome {
        sent,
        destination: format!("`{}`", fleet.table.name),
        skipped: judged.skipped,
    })
}

/// Each cat's uplinks in DIR/DEVICE.jsonl, one JSON object a line.
fn to_files(plan: &Plan<'_>, uplinks: &[Uplink], dir: &Path) -> Result<Outcome, Error> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(failed(dir))?;
    for (i, cat) in plan.cats.iter().enumerate() {
        let path = dir.join(format!("{}.jsonl", cat.device));
        let mut text = String::new();
        for uplink in uplinks.iter().filter(|u| u.cat == i) {
            text.push_str(&plan.json(uplink).to_string());
            text.push('\n');
        }
        std::fs::write(&path, text).map_err(failed(&path))?;
    }
    Ok(Outcome {
        sent: Sent {
            count: uplinks.len(),
            interrupted: false,
        },
        destination: dir.display().to_string(),
        skipped: BTreeMap::new(),
    })
}

/// What `fleet simulate` reports.
#[derive(Debug, Serialize)]
struct Summary {
    ok: bool,
    mode: Mode,
    seed: u64,
    home: [f64; 2],
    timezone: String,
    /// The first and last local day, and the instants they start and end.
    first_day: String,
    last_day: String,
    days: i32,
    from: String,
    to: String,
    cats: Vec<CatTally>,
    uplinks: usize,
    bad_fixes: usize,
    first_uplink: Option<String>,
    last_uplink: Option<String>,
    /// Uplinks published, items written, or uplinks saved.
    sent: usize,
    destination: String,
    /// Direct mode: why the rule wrote nothing for some uplinks.
    skipped: BTreeMap<String, usize>,
    interrupted: bool,
    elapsed_s: f64,
    per_second: f64,
}

impl Summary {
    fn new(
        plan: &Plan<'_>,
        mode: Mode,
        uplinks: &[Uplink],
        outcome: &Outcome,
        elapsed: Duration,
    ) -> Summary {
        let cats = plan.tally(uplinks);
        let tz = &plan.tz;
        let received = |u: &Uplink| {
            Timestamp::from_millisecond(u.reading.received_ms)
                .map_or_else(|_| String::new(), |t| local_time(t, tz))
        };
        let first_day = plan.from.to_zoned_datetime(tz.clone()).date();
        let last_day = plan
            .to
            .to_zoned_datetime(tz.clone())
            .date()
            .yesterday()
            .unwrap_or(first_day);
        let seconds = elapsed.as_secs_f64();
        Summary {
            ok: !outcome.sent.interrupted,
            mode,
            seed: plan.seed,
            home: [plan.home.latitude, plan.home.longitude],
            timezone: plan.tz.iana_name().unwrap_or("local").to_string(),
            first_day: first_day.to_string(),
            last_day: last_day.to_string(),
            days: first_day.until(last_day).map_or(0, |span| span.get_days()) + 1,
            from: local_time(plan.from, tz),
            to: local_time(plan.to, tz),
            uplinks: uplinks.len(),
            bad_fixes: cats.iter().map(|c| c.bad_fixes).sum(),
            cats,
            first_uplink: uplinks.first().map(received),
            last_uplink: uplinks.last().map(received),
            sent: outcome.sent.count,
            destination: outcome.destination.clone(),
            skipped: outcome.skipped.clone(),
            interrupted: outcome.sent.interrupted,
            elapsed_s: (seconds * 100.0).round() / 100.0,
            per_second: if seconds > 0.0 {
                (outcome.sent.count as f64 / seconds * 10.0).round() / 10.0
            } else {
                0.0
            },
        }
    }

    fn write(&self, format: Format, out: &mut dyn Write) -> Result<(), Error> {
        match format {
            Format::Json => {
                let json = serde_json::to_string(self).expect("the summary serializes");
                writeln!(out, "{json}")?;
                Ok(())
            }
            Format::Text => self.print(out),
        }
    }

    fn print(&self, out: &mut dyn Write) -> Result<(), Error> {
        let width = self.cats.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let device_width = self.cats.iter().map(|c| c.device.len()).max().unwrap_or(0);
        for c in &self.cats {
            writeln!(
                out,
                "{:<width$}  {:<device_width$}  {:>5} uplinks  {}",
                c.name,
                c.device,
                c.uplinks,
                plural(c.bad_fixes, "bad fix", "bad fixes")
            )?;
        }
        let days = match self.days {
            1 => format!("1 day, {}", self.first_day),
            n => format!("{n} days, {} to {}", self.first_day, self.last_day),
        };
        writeln!(
            out,
            "simulated {} for {days} in {} (seed {}): {}, {}",
            plural(self.cats.len(), "cat", "cats"),
            self.timezone,
            self.seed,
            plural(self.uplinks, "uplink", "uplinks"),
            plural(self.bad_fixes, "bad fix", "bad fixes"),
        )?;
        if let (Some(first), Some(last)) = (&self.first_uplink, &self.last_uplink) {
            writeln!(out, "uplinks received from {first} to {last}")?;
        }
        self.print_sent(out)
    }

    fn print_sent(&self, out: &mut dyn Write) -> Result<(), Error> {
        let (verb, noun, place) = match self.mode {
            Mode::Publish => ("published", "uplinks", format!("to {}", self.destination)),
            Mode::Direct => ("wrote", "items", format!("into {}", self.destination)),
            Mode::ToFile => ("saved", "uplinks", format!("in {}", self.destination)),
            Mode::DryRun => {
                writeln!(
                    out,
                    "dry run: nothing sent; add --output json to print the uplinks"
                )?;
                return Ok(());
            }
        };
        if self.interrupted {
            writeln!(
                out,
                "interrupted: {verb} {} {noun} {place} before Ctrl-C",
                self.sent
            )?;
        } else {
            writeln!(
                out,
                "{verb} {} {noun} {place} in {:.1} s ({} a second)",
                self.sent, self.elapsed_s, self.per_second
            )?;
        }
        for (reason, count) in &self.skipped {
            writeln!(
                out,
                "the rule wrote nothing for {}: {reason}",
                plural(*count, "uplink", "uplinks")
            )?;
        }
        Ok(())
    }
}

/// RFC 3339 with the zone's offset, e.g. 2026-12-01T00:21:57+01:00.
fn local_time(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How progress is drawn for this output and terminal.
fn drawer(format: Format, total: usize, verb: &'static str) -> Box<dyn Progress> {
    match format {
        Format::Json => Box::new(Quiet),
        Format::Text if std::io::stderr().is_terminal() => Box::new(Bar::new(total, verb)),
        Format::Text => Box::new(Lines::new(total, verb)),
    }
}

struct Quiet;

impl Progress for Quiet {
    fn advanced(&self, _: usize) {}
}

/// An indicatif bar on stderr, cleared when done.
struct Bar(ProgressBar);

impl Bar {
    fn new(total: usize, verb: &str) -> Bar {
        let style = ProgressStyle::with_template(&format!(
            "[{{bar:30.cyan/blue}}] {{pos}}/{{len}} {verb}, {{per_sec}}, {{eta}} left"
        ))
        .expect("a valid template")
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        Bar(bar.with_style(style))
    }
}

impl Progress for Bar {
    fn advanced(&self, done: usize) {
        self.0.set_position(done as u64);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A plain line on stderr at every tenth of the way, for logs and pipes.
struct Lines {
    total: usize,
    verb: &'static str,
    started: Instant,
    /// The last tenth reported.
    tenth: Mutex<usize>,
}

impl Lines {
    fn new(total: usize, verb: &'static str) -> Lines {
        Lines {
            total,
            verb,
            started: Instant::now(),
            tenth: Mutex::new(0),
        }
    }
}

impl Progress for Lines {
    fn advanced(&self, done: usize) {
        let tenth = done * 10 / self.total.max(1);
        let mut last = self.tenth.lock().expect("progress lock");
        if tenth > *last {
            *last = tenth;
            let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            eprintln!(
                "simulate: {done}/{} {} ({rate:.0} a second)",
                self.total, self.verb
            );
        }
    }
}
