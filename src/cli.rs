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

    /// Show each stack's status, each cat's last fix and battery, and whether her thing
    /// matches the fleet file.
    ///
    /// The last fix is the newest valid one among her newest items in the table (a collar
    /// low on battery sends "no fix" markers); things tagged for this fleet but missing from
    /// the file are listed too.
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

    /// Send realistic uplinks for the cats: a day (or --days N) of rests and outings each.
    ///
    /// Generates TTN v3 uplinks as the cats' Dragino LGT-92 collars would send them: rests in
    /// beds around home with a fix an hour, outings to places 50-400 m away with a fix every
    /// 5 minutes, a slowly draining battery, and 2% bad fixes (no-fix marker, 0/0, jumps).
    /// The same --seed gives the same uplinks on every machine. They are published through
    /// the IoT data plane on each tracker's topic, at most --rate a second, so they travel
    /// topic -> rule -> table as real ones do. --direct runs the rule here and batch-writes
    /// its items instead; --dry-run and --to-file send nothing. Simulated items sit in the
    /// table beside real ones: simulate into a test fleet.
    Simulate(SimulateArgs),

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

    /// A cat's fixes over a time window, in time order (a Query on the table, never a Scan).
    ///
    /// Choose the time with --day, --last or --from/--to (default: today so far), read in
    /// --tz, the fleet file's timezone, or the machine's. Invalid fixes (the tracker's "no
    /// fix" marker, 0/0, out of range, duplicates, impossible jumps) are dropped and counted
    /// on stderr. Formats: a table, CSV, JSON lines, GeoJSON (a LineString per outing and
    /// the fixes as points) and GPX.
    Locations(LocationsArgs),

    /// A cat's day as stops and outings: when she left, how far she went, where she stayed.
    ///
    /// Stops are found with the stay-point method (Li, Zheng et al. 2008): fixes that stay
    /// within --radius of their centre for at least --min-stay. What lies between two stops
    /// is an outing, with its distance along the fixes (the least she walked). A silence
    /// longer than --max-gap ends an outing, since where she went meanwhile is not known;
    /// it is shown as a gap. The defaults suit a collar reporting every 5 minutes on the
    /// move and hourly at rest. Choose the time as for `fleet locations` (default: today).
    Outings(OutingsArgs),

    /// The places a cat keeps coming back to, where she sleeps first.
    ///
    /// Clusters her fixes with DBSCAN on great-circle distance (the same labels as
    /// scikit-learn's DBSCAN with metric="haversine"), then ranks the places by the nights
    /// she spent there (a fix between 22:00 and 06:00 local), then by visits, then by dwell
    /// time. Each place has a centre, a radius, its visits, dwell time, share of nights and
    /// when it was first and last seen. Default window: the last 30 days.
    Places(PlacesArgs),

    /// Draw a cat's day on a map: one HTML page (or an SVG picture) you open in a browser.
    ///
    /// The fixes are read as `fleet locations` reads them, split into outings as `fleet
    /// outings` does and clustered into places as `fleet places` does. The page shows each
    /// outing as a line in its own colour, every fix as a dot with its local time, places as
    /// circles that grow with the time spent there, her home, a legend, and is zoomed to fit.
    /// Home is her first-ranked place (the one she spent most nights at) when she spent a
    /// night in the window, or --home.
    ///
    /// The page is drawn by Leaflet 1.9.4, loaded from a CDN and checked by the browser
    /// against pinned SHA-384 hashes, over OpenStreetMap tiles, or Mapbox tiles when a token
    /// is given (--mapbox-token, MAPBOX_TOKEN, or the Secrets Manager secret named by the
    /// fleet file's `map.mapbox_token_secret`). Offline, --assets DIR copies Leaflet from a
    /// local copy into the page: one file that works without a network, apart from tiles.
    ///
    /// Several cats share a map with --cats, and several days with --from/--to. When no cat
    /// has a fix in the window, nothing is written and the exit status is 1. The file is
    /// written atomically: an open page is never half-written.
    ///
    /// Example: fleet map Snowy --day 2026-12-01 -o maps/snowy.html
    Map(MapArgs),

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

/// The time a data command looks at. One of --day, --last or --from/--to.
#[derive(Debug, Clone, Default, Args)]
pub struct WindowArgs {
    /// A local day, e.g. 2026-12-01.
    #[arg(long, value_name = "DATE")]
    pub day: Option<String>,

    /// The last stretch of time up to now, e.g. 6h, 90m, 2d.
    #[arg(long, value_name = "SPAN")]
    pub last: Option<String>,

    /// From this time: a date, a local date and time (2026-12-01T18:00), or RFC 3339.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// Up to this time, excluded; now by default.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// The IANA time zone days and times are read and shown in, e.g. Europe/Amsterdam;
    /// by default the fleet file's `timezone`, else the machine's.
    #[arg(long, env = "FLEET_TZ", value_name = "ZONE")]
    pub tz: Option<String>,
}

#[derive(Debug, Args)]
pub struct LocationsArgs {
    /// The cat's name, as in the fleet file (case does not matter).
    pub cat: String,

    #[command(flatten)]
    pub window: WindowArgs,

    /// How to write the fixes [default: table; jsonl with --output json].
    #[arg(long, value_enum)]
    pub format: Option<crate::data::formats::LocationFormat>,
}

#[derive(Debug, Args)]
pub struct OutingsArgs {
    /// The cat's name, as in the fleet file (case does not matter).
    pub cat: String,

    #[command(flatten)]
    pub window: WindowArgs,

    /// A stop holds the fixes within this many metres of its centre.
    #[arg(long, default_value_t = 50.0, value_name = "METRES")]
    pub radius: f64,

    /// A stop lasts at least this long (e.g. 10m, 1h30m); a shorter pause is part of the
    /// outing.
    #[arg(long, default_value = "10m", value_name = "SPAN")]
    pub min_stay: jiff::SignedDuration,

    /// A silence longer than this ends an outing: where she went meanwhile is not known.
    #[arg(long, default_value = "90m", value_name = "SPAN")]
    pub max_gap: jiff::SignedDuration,
}

#[derive(Debug, Args)]
pub struct PlacesArgs {
    /// The cat's name, as in the fleet file (case does not matter).
    pub cat: String,

    /// The time to look at [default: the last 30 days].
    #[command(flatten)]
    pub window: WindowArgs,

    /// Fixes within this many metres of each other are the same place (DBSCAN's eps).
    #[arg(long, default_value_t = crate::track::places::Params::DEFAULT_RADIUS_M, value_name = "METRES")]
    pub radius: f64,

    /// A place needs this many fixes within --radius of one of them, that one included
    /// (DBSCAN's min_samples).
    #[arg(long, default_value_t = crate::track::places::Params::DEFAULT_MIN_FIXES, value_name = "N")]
    pub min_fixes: usize,

    /// Show at most this many places, the most visited first.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// The cat to draw, as in the fleet file (case does not matter).
    #[arg(required_unless_present = "cats", conflicts_with = "cats")]
    pub cat: Option<String>,

    /// Several cats on one map, e.g. Snowy,Tiger; outings are coloured across all of them.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub cats: Vec<String>,

    /// The time to draw [default: today so far]; --from/--to may span several days.
    #[command(flatten)]
    pub window: WindowArgs,

    /// The file to write, e.g. snowy.html; its directory is made when missing.
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    pub out: std::path::PathBuf,

    /// What to write: an HTML page drawn by Leaflet, or a static SVG picture without tiles
    /// (Web Mercator, with a scale bar) for reports [default: svg when --out ends in .svg,
    /// else html].
    #[arg(long, value_enum)]
    pub format: Option<crate::map::MapFormat>,

    /// Where the page gets Leaflet 1.9.4 instead of the CDN: a URL of a mirror serving
    /// leaflet.js and leaflet.css (with CORS, since the browser checks their hashes), or a
    /// local directory (Leaflet's dist/, or the npm package holding it) whose files fleet
    /// checks against the pinned hashes and copies into the page, for use offline.
    #[arg(long, value_name = "DIR|URL", env = "FLEET_MAP_ASSETS")]
    pub assets: Option<String>,

    /// A Mapbox access token (a public pk. token: it is written into the page): draw Mapbox
    /// tiles. Without it, the secret named by the fleet file's map.mapbox_token_secret is
    /// read from AWS Secrets Manager; without that, OpenStreetMap tiles are drawn.
    #[arg(
        long,
        env = "MAPBOX_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub mapbox_token: Option<String>,

    /// Draw OpenStreetMap tiles even when a Mapbox token is configured.
    #[arg(long)]
    pub no_mapbox: bool,

    /// Where home is, LAT,LON in degrees, for every cat on the map [default: each cat's
    /// first-ranked place, when she spent a night in the window].
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub home: Option<String>,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The cats to simulate, by name (e.g. Snowy,Tiger); all by default.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub cats: Vec<String>,

    /// The first day, e.g. 2026-12-01; today by default. Days run from midnight to
    /// midnight in --tz.
    #[arg(long, value_name = "DATE")]
    pub start: Option<jiff::civil::Date>,

    /// How many days to simulate.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,

    /// The IANA time zone days are counted in; by default the fleet file's timezone, else
    /// the machine's.
    #[arg(long, env = "FLEET_TZ")]
    pub tz: Option<String>,

    /// The seed: the same seed, flags and fleet file give the same uplinks.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Where the cats live, LAT,LON in degrees [default: 52.370216,4.895168, in Amsterdam].
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub home: Option<crate::simulate::Home>,

    /// Uplinks published a second, at most. The default is half of AWS IoT's limit of 100
    /// publishes a second for one client, far within the account's quotas.
    #[arg(long, default_value_t = crate::simulate::publish::DEFAULT_RATE, value_name = "N")]
    pub rate: f64,

    /// Replay a recorded track as one cat's uplinks (name her with --cats): a GPX file
    /// (track, route or waypoints with times) or a CSV file with time, latitude and
    /// longitude columns, such as `fleet locations --format csv` writes. Points keep their
    /// times, or move to --start keeping their local time of day.
    #[arg(long, value_name = "FILE", conflicts_with = "days")]
    pub replay: Option<PathBuf>,

    /// Instead of publishing, run the fleet's rule here and write the items it produces
    /// straight into the table (BatchWriteItem): the same items, for large data sets.
    #[arg(long)]
    pub direct: bool,

    /// Send nothing; with --output json print the uplinks, one JSON object a line.
    #[arg(long, conflicts_with = "direct")]
    pub dry_run: bool,

    /// Send nothing; write each cat's uplinks to DIR/DEVICE.jsonl.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["direct", "dry_run"])]
    pub to_file: Option<PathBuf>,
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
