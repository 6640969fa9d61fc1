//! Running one command line: logging set-up, dispatch to the command, and
//! the one place an error becomes a message and an exit status.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{CatCommand, Cli, Command, Format, RuleCommand};
use crate::commands;
use crate::error::Error;

pub fn run(cli: Cli) -> ExitCode {
    init_logging(cli.global.verbose);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = dispatch(&cli, &mut out);
    let _ = out.flush();

    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report(&e, cli.global.output, &mut out);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs the command, writing its results to `out`; returns the exit
/// status of a successful run (0, or 3 for a plan with changes).
pub fn dispatch(cli: &Cli, out: &mut dyn Write) -> Result<u8, Error> {
    let g = &cli.global;
    let file = &g.file;
    let format = g.output;
    match &cli.command {
        Command::Init(args) => commands::init::run(file, args, format, out).map(|()| 0),
        Command::Validate => commands::validate::run(file, format, out).map(|()| 0),
        Command::Template(args) => {
            commands::template::run(file, &args.out, format, out).map(|()| 0)
        }
        Command::Schema => commands::schema::run(out).map(|()| 0),
        Command::Plan => {
            let changes = block_on(commands::plan::run(file, &target(g), format, out))?;
            Ok(if changes {
                commands::plan::CHANGES_PENDING
            } else {
                0
            })
        }
        Command::Apply(args) => block_on(commands::apply::run(
            file,
            &target(g),
            args.yes,
            format,
            out,
        ))
        .map(|()| 0),
        Command::Status => {
            block_on(commands::status::run(file, &target(g), format, out)).map(|()| 0)
        }
        Command::Cat(cat) => run_cat(cat, g, out),
        Command::Locations(args) => block_on(commands::locations::run(
            file,
            &target(g),
            args,
            format,
            out,
        ))
        .map(|()| 0),
        Command::Outings(args) => {
            block_on(commands::outings::run(file, &target(g), args, format, out)).map(|()| 0)
        }
        Command::Places(args) => {
            block_on(commands::places::run(file, &target(g), args, format, out)).map(|()| 0)
        }
        Command::Map(args) => {
            block_on(commands::map::run(file, &target(g), args, format, out)).map(|()| 0)
        }
        Command::Simulate(args) => {
            block_on(commands::simulate::run(file, &target(g), args, format, out))
        }
        Command::Verify(args) => {
            let passed = block_on(commands::verify::run(file, &target(g), args, format, out))?;
            Ok(if passed { 0 } else { 1 })
        }
        Command::Local { mqtt_port } => {
            block_on(commands::local::run(file, &target(g), *mqtt_port, out)).map(|()| 0)
        }
        Command::Rule(RuleCommand::Test { payload, topic }) => {
            let written = commands::rule::test(file, payload, topic.as_deref(), format, out)?;
            Ok(if written {
                0
            } else {
                commands::rule::NOT_WRITTEN
            })
        }
        Command::Destroy(args) => {
            let target = target(g);
            let run =
                commands::destroy::run(file, &target, args.yes, args.delete_data, format, out);
            block_on(run).map(|()| 0)
        }
    }
}

fn run_cat(cat: &CatCommand, g: &crate::cli::Global, out: &mut dyn Write) -> Result<u8, Error> {
    let (file, format) = (&g.file, g.output);
    let no_apply = match cat {
        CatCommand::Add(args) => {
            commands::cat::add(file, args)?;
            args.no_apply
        }
        CatCommand::Remove(args) => {
            commands::cat::remove(file, &args.name)?;
            args.no_apply
        }
        CatCommand::List { offline } => {
            let target = target(g);
            return block_on(commands::cat::list(file, &target, *offline, format, out)).map(|()| 0);
        }
    };
    if no_apply {
        if format == crate::cli::Format::Text {
            writeln!(
                out,
                "updated {}; run `fleet apply` to deploy it",
                file.display()
            )?;
        }
        return Ok(0);
    }
    block_on(commands::apply::run(file, &target(g), false, format, out)).map(|()| 0)
}

fn target(g: &crate::cli::Global) -> crate::aws::Target {
    crate::aws::Target {
        region: g.region.clone(),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
    }
}

/// Runs an AWS command on a runtime of its own; only those commands need one.
fn block_on<T>(future: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(future)
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
        // The SDK warns about each credential source it tries, and the
        // embedded broker about every client that goes; fleet says what
        // matters itself.
        0 => "warn,aws_config=error,rumqttd=off",
        1 => "fleet=debug,info,rumqttd=off",
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
