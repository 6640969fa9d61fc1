//! Running one command line: logging set-up, dispatch to the command, and
//! the one place an error becomes a message and an exit status.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{Cli, Command, Format};
use crate::commands;
use crate::error::Error;

pub fn run(cli: Cli) -> ExitCode {
    init_logging(cli.global.verbose);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = dispatch(&cli, &mut out);
    let _ = out.flush();

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e, cli.global.output, &mut out);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs the command, writing its results to `out`.
pub fn dispatch(cli: &Cli, out: &mut dyn Write) -> Result<(), Error> {
    let g = &cli.global;
    match &cli.command {
        Command::Init(args) => commands::init::run(&g.file, args, g.output, out),
        Command::Validate => commands::validate::run(&g.file, g.output, out),
        Command::Template(args) => commands::template::run(&g.file, &args.out, g.output, out),
        Command::Apply => {
            let target = crate::aws::Target {
                region: g.region.clone(),
                profile: g.profile.clone(),
                endpoint_url: g.endpoint_url.clone(),
            };
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(commands::apply::run(&g.file, &target, g.output, out))
        }
        Command::Schema => commands::schema::run(out),
    }
}

/// Prints the error on stderr for people and, in JSON mode, as one JSON
/// object on stdout for scripts.
fn report(error: &Error, format: Format, out: &mut dyn Write) {
    match error.problems() {
        Some(problems) => {
            eprintln!("{problems}");
            let n = problems.list.len();
            let noun = if n == 1 { "problem" } else { "problems" };
            eprintln!("error: {} has {n} {noun}", problems.file.display());
        }
        None => eprintln!("error: {error}"),
    }
    if format == Format::Json {
        let problems = error.problems().map(|p| &p.list);
        let json = serde_json::json!({
            "ok": false,
            "error": error.to_string(),
            "problems": problems,
        });
        let _ = writeln!(out, "{json}");
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        // The SDK warns about each credential source it tries; fleet says
        // what matters itself.
        0 => "warn,aws_config=error",
        1 => "fleet=debug,info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLEET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
