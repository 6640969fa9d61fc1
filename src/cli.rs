//! The command line: every flag, its environment variable and its help.
//!
//! Parsing only; [`crate::commands`] does the work. The help text is the
//! first manual a user reads, so each command says what it does, what it
//! touches and what it prints.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "fleet",
    version,
    about = "Declare your LoRaWAN cat trackers in one file and run them on AWS IoT",
    long_about = "Declare your LoRaWAN cat trackers in one file and run them on AWS IoT.\n\n\
        fleet.yaml names the stack, the region, The Things Network application, the \
        location table, the topic rule and every cat with its tracker. fleet checks it, \
        renders CloudFormation from it, and deploys that to your own AWS account (or to \
        the local emulator the project sets up).",
    after_help = "Start with `fleet init`, then `fleet validate` and `fleet template`.\n\
        Exit status: 0 success, 1 failure, 2 invalid fleet file or usage."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The fleet file to read.
    #[arg(
        short,
        long,
        global = true,
        env = "FLEET_FILE",
        default_value = "fleet.yaml",
        value_name = "PATH"
    )]
    pub file: PathBuf,

    /// How to print results: for people, or JSON for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text, env = "FLEET_OUTPUT")]
    pub output: Format,

    /// Log decisions to stderr (-v), or everything (-vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The AWS region; overrides the fleet file and the environment.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// The AWS profile from ~/.aws/config to use.
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Send every AWS call to this URL, e.g. the local emulator's
    /// http://127.0.0.1:PORT. AWS_ENDPOINT_URL works too.
    #[arg(long, global = true, env = "FLEET_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter fleet.yaml (and fleet.schema.json beside it).
    ///
    /// Asks for the stack name, region, TTN application and first cat when run in a
    /// terminal, or takes them as flags. Never overwrites an existing fleet file.
    Init(InitArgs),

    /// Check the fleet file and the CloudFormation it renders, without calling AWS.
    ///
    /// Reports every problem at once as FILE:LINE:COL: KEY: MESSAGE and exits with
    /// status 2 when there is any. A valid file is summarised: cats, stacks, and each
    /// template's size against CloudFormation's limits.
    Validate,

    /// Write the CloudFormation templates the fleet deploys.
    ///
    /// One core template (table, rule, roles, thing type, groups) and one template per
    /// non-empty thing shard. Stale shard templates in the directory are removed.
    Template(TemplateArgs),

    /// Deploy the fleet: create or update the core stack and every thing shard stack.
    ///
    /// Each stack is deployed through a CloudFormation change set; a stack whose
    /// template has not changed is left alone. The location table is never replaced or
    /// deleted by an apply.
    Apply,

    /// Print the JSON Schema of the fleet file, for editors.
    ///
    /// Save it as fleet.schema.json next to fleet.yaml; the first line of the sample
    /// fleet file points yaml-language-server (VS Code, Neovim, Helix ...) at it.
    Schema,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The CloudFormation stack name, e.g. backyard-cats.
    #[arg(long)]
    pub stack: Option<String>,

    /// The AWS region, e.g. eu-west-1.
    #[arg(long)]
    pub region: Option<String>,

    /// The Things Network application id.
    #[arg(long)]
    pub application: Option<String>,

    /// The first cat's name.
    #[arg(long)]
    pub cat: Option<String>,

    /// The first cat's tracker: its TTN device id.
    #[arg(long)]
    pub device: Option<String>,

    /// The first cat's tracker: its DevEUI, 16 hex digits.
    #[arg(long)]
    pub dev_eui: Option<String>,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The directory to write the templates to; created if missing.
    #[arg(long, default_value = "fleet-templates", value_name = "DIR")]
    pub out: PathBuf,
}
