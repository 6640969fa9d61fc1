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
        Exit status: 0 success, 1 failure, 2 invalid fleet file or usage, 3 `plan` found \
        changes, 130 interrupted."
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

    /// Show what `apply` would change, per stack and in the IoT registry.
    ///
    /// Existing stacks are compared through CloudFormation change sets, which are deleted
    /// again; a stack whose deployed template already matches needs none. Exit status: 0
    /// no changes, 3 changes pending, 1 failure, 2 invalid fleet file.
    Plan,

    /// Deploy the fleet: the core stack, the thing shard stacks, then the registry step.
    ///
    /// Every stack goes through a CloudFormation change set; independent shards deploy in
    /// parallel; shard stacks the fleet no longer needs are deleted. The registry step then
    /// gives every thing its type, all its attributes and exactly the declared groups. The
    /// location table is never replaced or deleted by an apply. Ctrl-C stops waiting but not
    /// CloudFormation; the next apply or status picks the operation up.
    Apply(ApplyArgs),

    /// Show each stack's status, and whether each cat's thing matches the fleet file.
    Status,

    /// Check the deployed fleet, then send a test uplink end to end and await its item.
    ///
    /// Static checks: credentials, every stack complete, every thing with its type,
    /// attributes and groups, the rule (enabled, fleet's SQL, writing to the table), its
    /// role (exactly PutItem on the table), the table (active, with its keys). Then a
    /// synthetic TTN v3 uplink for a real device is published through the IoT data plane
    /// and awaited in the table; its latency is reported and the test item deleted. When it
    /// does not arrive, fleet says why. Exit status 1 when any check fails.
    Verify(VerifyArgs),

    /// Run a local AWS IoT Core for the emulator: an MQTT broker and the rules engine.
    ///
    /// Reads the topic rules deployed at the endpoint (and again every 2 seconds), evaluates
    /// every message published to the broker, puts DynamoDBv2 items into the table and sends
    /// failures to the rule's CloudWatch Logs error action. Registers with the emulator so
    /// `iot-data publish` reaches the broker. Prints `fleet-local listening on mqtt://...`.
    /// -v logs each evaluation.
    Local {
        /// The broker's port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 1883, env = "FLEET_MQTT_PORT")]
        mqtt_port: u16,
    },

    /// Work with the topic rule offline: `fleet rule test --payload uplink.json`.
    #[command(subcommand)]
    Rule(RuleCommand),

    /// Add, remove or list cats: edits fleet.yaml in place, then applies.
    #[command(subcommand)]
    Cat(CatCommand),

    /// Tear the fleet down: group memberships, thing shard stacks, then the core stack.
    ///
    /// Asks you to type the stack name (or pass --yes). The location table is kept, with
    /// every location in it, unless --delete-data is given and its name is typed too.
    /// Destroying a fleet that is already gone does nothing.
    Destroy(DestroyArgs),

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

#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Run the fleet's rule on a payload and print the item it would write, or why not.
    ///
    /// Evaluates the rule's IoT SQL locally (no AWS call) as AWS IoT would, then types the
    /// result as the DynamoDBv2 action does and checks it has the table's keys. Sample
    /// payloads are under examples/. Exit status 0 when an item would be written, 1 when
    /// nothing would be.
    Test {
        /// The message, e.g. a TTN v3 uplink as JSON.
        #[arg(long, value_name = "FILE")]
        payload: PathBuf,

        /// The MQTT topic it arrives on; by default the fleet's topic filter filled in with
        /// the application and the payload's device id.
        #[arg(long)]
        topic: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatCommand {
    /// Add a cat to fleet.yaml and deploy it (only its shard stack changes).
    ///
    /// Comments, order and formatting of the rest of the file are kept; the file is
    /// validated before it is written, and written atomically.
    Add(CatAddArgs),

    /// Remove a cat from fleet.yaml and deploy the change (its thing is deleted).
    Remove(CatRemoveArgs),

    /// List the cats: tracker, DevEUI, groups, shard stack, and whether the thing exists.
    List {
        /// Do not ask AWS whether each thing exists.
        #[arg(long)]
        offline: bool,
    },
}

#[derive(Debug, Args)]
pub struct CatAddArgs {
    /// The cat's name, e.g. Pebble.
    pub name: String,

    /// The tracker's TTN device id, which becomes its IoT thing name.
    #[arg(long)]
    pub device: String,

    /// The tracker's DevEUI: 16 hex digits from its label.
    #[arg(long)]
    pub dev_eui: String,

    /// A group the cat belongs to (repeat for several); must be declared in the file.
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,

    /// A free attribute, KEY=VALUE (repeat for several).
    #[arg(long, value_name = "KEY=VALUE")]
    pub attr: Vec<String>,

    /// Only edit the file; deploy later with `fleet apply`.
    #[arg(long)]
    pub no_apply: bool,
}

#[derive(Debug, Args)]
pub struct CatRemoveArgs {
    /// The cat's name (case does not matter).
    pub name: String,

    /// Only edit the file; deploy later with `fleet apply`.
    #[arg(long)]
    pub no_apply: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Send a test uplink for every cat, not only the first.
    #[arg(long)]
    pub all: bool,

    /// Send the test uplink for this cat.
    #[arg(long, conflicts_with = "all")]
    pub cat: Option<String>,

    /// Seconds to wait for each item.
    #[arg(long, default_value_t = 15.0)]
    pub timeout: f64,

    /// Leave the test items in the table.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Delete and recreate stacks whose first creation failed, without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Destroy without asking for the stack (and table) name.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Delete the location table and every location in it too.
    #[arg(long)]
    pub delete_data: bool,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The directory to write the templates to; created if missing.
    #[arg(long, default_value = "fleet-templates", value_name = "DIR")]
    pub out: PathBuf,
}
