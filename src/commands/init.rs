//! `fleet init`: write a commented starter fleet file, asking for what it
//! needs in a terminal or taking it from flags, and never overwriting.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::cli::{Format, InitArgs};
use crate::error::Error;
use crate::names;

/// One value the starter file needs: its flag, question, default and rule.
struct Ask<'a> {
    flag: &'a str,
    question: &'a str,
    default: &'a str,
    given: Option<&'a String>,
    check: fn(&str) -> Result<(), String>,
}

pub fn run(file: &Path, args: &InitArgs, format: Format, out: &mut dyn Write) -> Result<(), Error> {
    if file.exists() {
        return Err(Error::Usage(format!(
            "`{}` already exists; fleet init never overwrites a fleet file \
             (use --file to write another one)",
            file.display()
        )));
    }

    let interactive = std::io::stdin().is_terminal() && format == Format::Text;
    let values = answers(args, interactive)?;
    let text = starter(&values);
    if let Err(problems) = crate::fleetfile::from_str(&text, file) {
        return Err(Error::Usage(format!(
            "the starter file would not be valid:\n{problems}"
        )));
    }

    write_new(file, &text)?;
    let schema_path = file.with_file_name("fleet.schema.json");
    let schema_written = !schema_path.exists();
    if schema_written {
        let schema = serde_json::to_string_pretty(&crate::fleetfile::schema::schema())
            .expect("schema serializes");
        write_new(&schema_path, &(schema + "\n"))?;
    }

    report(
        out,
        format,
        file,
        schema_written.then_some(schema_path.as_path()),
    )
}

fn report(
    out: &mut dyn Write,
    format: Format,
    file: &Path,
    schema: Option<&Path>,
) -> Result<(), Error> {
    match format {
        Format::Json => {
            let line = serde_json::json!({
                "ok": true,
                "file": file.display().to_string(),
                "schema": schema.map(|s| s.display().to_string()),
            });
            writeln!(out, "{line}")?;
        }
        Format::Text => {
            writeln!(out, "wrote {}", file.display())?;
            if let Some(schema) = schema {
                writeln!(
                    out,
                    "wrote {} (editor completion for the fleet file)",
                    schema.display()
                )?;
            }
            writeln!(out, "next: add your cats, then run `fleet validate`")?;
        }
    }
    Ok(())
}

fn answers(args: &InitArgs, interactive: bool) -> Result<Vec<String>, Error> {
    let asks = [
        Ask {
            flag: "--stack",
            question: "Stack name",
            default: "backyard-cats",
            given: args.stack.as_ref(),
            check: names::stack,
        },
        Ask {
            flag: "--region",
            question: "AWS region",
            default: "eu-west-1",
            given: args.region.as_ref(),
            check: names::region,
        },
        Ask {
            flag: "--application",
            question: "TTN application id",
            default: "backyard-cats",
            given: args.application.as_ref(),
            check: |v| names::ttn_id(v, "an application id"),
        },
        Ask {
            flag: "--cat",
            question: "First cat's name",
            default: "Snowy",
            given: args.cat.as_ref(),
            check: names::cat,
        },
        Ask {
            flag: "--device",
            question: "Its tracker's TTN device id",
            default: "snowy-lgt92",
            given: args.device.as_ref(),
            check: |v| names::ttn_id(v, "a device id"),
        },
        Ask {
            flag: "--dev-eui",
            question: "Its tracker's DevEUI",
            default: "70B3D57ED005A1B2",
            given: args.dev_eui.as_ref(),
            check: names::dev_eui,
        },
    ];

    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    asks.iter()
        .map(|ask| answer(ask, interactive, &mut input))
        .collect()
}

fn answer(ask: &Ask<'_>, interactive: bool, input: &mut dyn BufRead) -> Result<String, Error> {
    if let Some(value) = ask.given {
        (ask.check)(value).map_err(|e| Error::Usage(format!("{} `{value}`: {e}", ask.flag)))?;
        return Ok(value.clone());
    }
    if !interactive {
        return Ok(ask.default.to_string());
    }
    loop {
        eprint!("{} [{}]: ", ask.question, ask.default);
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(ask.default.to_string());
        }
        let value = match line.trim() {
            "" => ask.default,
            v => v,
        };
        match (ask.check)(value) {
            Ok(()) => return Ok(value.to_string()),
            Err(e) => eprintln!("  {e}"),
        }
    }
}

/// Creates `path`, failing if it exists, so two `init`s cannot race.
fn write_new(path: &Path, text: &str) -> Result<(), Error> {
    let error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(error)?;
    file.write_all(text.as_bytes()).map_err(error)
}

fn starter(v: &[String]) -> String {
    let [stack, region, application, cat, device, dev_eui] = v else {
        unreachable!("answers returns one value per question")
    };
    format!(
        r#"# yaml-language-server: $schema=fleet.schema.json
#
# Your fleet of cat trackers. `fleet validate` checks this file,
# `fleet template` shows the CloudFormation it becomes.

# The CloudFormation stack. Thing shard stacks are named {stack}-things-NNN.
stack: {stack}

# The AWS region. AWS_REGION or --region override it.
region: {region}

# The Things Network application whose uplinks reach AWS IoT, and the MQTT
# topic filter they arrive on (TTN's AWS IoT integration uses +/devices/+/up;
# a v3 MQTT integration might use v3/{application}@ttn/devices/+/up).
ttn:
  application: {application}
  topic: "+/devices/+/up"

# Where every location is kept. The table survives `fleet destroy`.
table:
  name: {stack}-locations
  retention_days: none        # or a number of days
  point_in_time_recovery: true

# Thing groups the cats can belong to.
groups:
  - name: indoor
    description: Cats that sleep inside

# One entry per cat. `device` is the tracker's TTN device id (and its IoT
# thing name); `dev_eui` is printed on the tracker's label.
cats:
  - name: {cat}
    device: {device}
    dev_eui: {dev_eui}
    groups: [indoor]
    attributes:
      colour: white
"#
    )
}
