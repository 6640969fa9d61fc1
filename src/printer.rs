//! Drawing progress events, in one place: indicatif bars when stderr is a
//! terminal, plain lines on stderr when it is not, and JSON lines on
//! stdout with `--output json`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::Format;
use crate::progress::{Action, Event, Reporter};

/// Picks how to draw for this output format and terminal.
pub fn for_output(format: Format) -> Box<dyn Reporter> {
    match format {
        Format::Json => Box::new(JsonLines),
        Format::Text if std::io::stderr().is_terminal() => Box::new(Bars::new()),
        Format::Text => Box::new(Lines),
    }
}

/// One JSON object per event on stdout.
pub struct JsonLines;

impl Reporter for JsonLines {
    fn event(&self, event: Event) {
        let line = serde_json::to_string(&event).expect("events serialize");
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }
}

/// One plain line per event on stderr, for logs and pipes.
pub struct Lines;

impl Reporter for Lines {
    fn event(&self, event: Event) {
        eprintln!("{}", describe(&event));
    }
}

/// A bar per stack showing its resources done and the latest event.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        Bars {
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn bar(&self, stack: &str, resources: usize) -> ProgressBar {
        let mut bars = self.bars.lock().expect("bars lock");
        bars.entry(stack.to_string())
            .or_insert_with(|| {
                let style = ProgressStyle::with_template(
                    "{spinner:.cyan} {prefix:<32.bold} [{bar:20.cyan/blue}] {pos:>4}/{len:<4} {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> ");
                let bar = self.multi.add(ProgressBar::new(resources as u64).with_style(style));
                bar.set_prefix(stack.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            })
            .clone()
    }
}

impl Reporter for Bars {
    fn event(&self, event: Event) {
        match &event {
            Event::StackStarted {
                stack, resources, ..
            } => {
                self.bar(stack, *resources).set_message(describe(&event));
            }
            Event::Resource { stack, status, .. } => {
                let bar = self.bar(stack, 0);
                if status.ends_with("_COMPLETE") {
                    bar.inc(1);
                }
                bar.set_message(describe(&event));
            }
            Event::Waiting { stack, .. } => self.bar(stack, 0).set_message(describe(&event)),
            Event::StackDone { stack, .. }
            | Event::StackUnchanged { stack }
            | Event::StackFailed { stack, .. } => {
                let bar = self.bar(stack, 0);
                bar.set_position(bar.length().unwrap_or(0));
                bar.finish_with_message(describe(&event));
            }
            Event::Registry { .. } | Event::Note { .. } => {
                let _ = self.multi.println(describe(&event));
            }
        }
    }
}

/// The one-line text of an event, shared by bars and plain lines.
pub fn describe(event: &Event) -> String {
    match event {
        Event::StackStarted {
            stack,
            action: Action::Delete,
            ..
        } => format!("{stack}: deleting"),
        Event::StackStarted {
            stack,
            action,
            resources,
        } => {
            format!("{stack}: {} ({resources} resources)", verb(*action))
        }
        Event::Resource {
            stack,
            logical_id,
            resource_type,
            status,
            reason,
        } => {
            let reason = reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            format!("{stack}: {logical_id} ({resource_type}) {status}{reason}")
        }
        Event::Waiting { stack, status } => {
            format!("{stack}: waiting for the operation in progress ({status})")
        }
        Event::StackDone {
            stack,
            status,
            elapsed,
            ..
        } => {
            format!("{stack}: {status} in {:.1}s", elapsed.as_secs_f32())
        }
        Event::StackUnchanged { stack } => format!("{stack}: no changes"),
        Event::StackFailed {
            stack,
            status,
            reasons,
        } => {
            format!("{stack}: {status}: {}", reasons.join("; "))
        }
        Event::Registry { thing, change } => format!("registry: {thing}: {change}"),
        Event::Note { message } => message.clone(),
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Delete => "deleting",
    }
}
