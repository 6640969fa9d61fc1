//! What every command that calls AWS starts with: the validated fleet, its
//! rendered templates, the resolved AWS target, the progress printer, and
//! a watch on Ctrl-C, so that no AWS call happens before the fleet file
//! and templates are known to be good.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::watch;

use crate::aws::{self, Target};
use crate::cli::Format;
use crate::deploy::Ctx;
use crate::error::Error;
use crate::model::Fleet;
use crate::printer;
use crate::render::Rendered;

pub struct Session {
    pub aws: aws::Aws,
    pub fleet: Fleet,
    pub rendered: Rendered,
    pub ctx: Ctx,
}

pub async fn open(file: &Path, target: &Target, format: Format) -> Result<Session, Error> {
    let (fleet, rendered) = super::load_and_render(file)?;
    let aws = aws::connect(target, fleet.region.as_deref()).await?;

    let (stop, interrupted) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(true);
        }
    });
    let reporter = Arc::from(printer::for_output(format));
    let ctx = Ctx::new(&aws, &fleet.stack, reporter, interrupted);
    Ok(Session {
        aws,
        fleet,
        rendered,
        ctx,
    })
}

/// Whether the user can be asked a question: a terminal, and output for
/// people rather than scripts.
pub fn interactive(format: Format) -> bool {
    format == Format::Text && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks on stderr and reads one line from stdin.
pub fn ask(question: &str) -> Result<String, Error> {
    eprint!("{question} ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}
