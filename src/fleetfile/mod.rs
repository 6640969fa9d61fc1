//! The fleet file: reading `fleet.yaml` into a validated [`Fleet`], with
//! every problem reported at once as `file:line:col: key: message`.
//!
//! Loading is the first stage of every command and makes no AWS call. The
//! key lists below are the one statement of the file's shape: the loader
//! accepts exactly these keys and `fleet schema` describes exactly these.

pub mod edit;
mod load;
pub mod problem;
pub mod schema;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use problem::{Pos, Problem, Problems};

use crate::model::Fleet;

/// The keys of the top level of a fleet file.
pub const FLEET_KEYS: &[&str] = &[
    "stack",
    "region",
    "timezone",
    "map",
    "ttn",
    "table",
    "thing_type",
    "groups",
    "rule",
    "shards",
    "cats",
];
pub const MAP_KEYS: &[&str] = &["mapbox_token_secret"];
pub const TTN_KEYS: &[&str] = &["application", "topic"];
pub const TABLE_KEYS: &[&str] = &["name", "retention_days", "point_in_time_recovery"];
pub const THING_TYPE_KEYS: &[&str] = &["name", "description", "searchable_attributes"];
pub const GROUP_KEYS: &[&str] = &["name", "description"];
pub const RULE_KEYS: &[&str] = &["name", "sql", "enabled", "error_log_days"];
pub const CAT_KEYS: &[&str] = &["name", "device", "dev_eui", "groups", "attributes"];

/// Attributes fleet sets on every thing itself; a cat may not declare them.
pub const RESERVED_ATTRIBUTES: &[&str] = &["cat", "dev_eui", "fleet"];

/// The most shard stacks a fleet may have.
pub const MAX_SHARDS: u32 = 999;

/// Why a fleet file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "cannot read fleet file `{}`: {source} (run `fleet init` to write one, or name \
         another with --file)",
        path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] Problems),
}

/// Reads and validates the fleet file at `path`.
pub fn load(path: &Path) -> Result<Fleet, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(from_str(&text, path)?)
}

/// Validates fleet file `text`; `path` only names the file in messages.
pub fn from_str(text: &str, path: &Path) -> Result<Fleet, Problems> {
    let root = yaml::parse(text).map_err(|p| Problems::new(path, vec![p]))?;
    let mut reader = yaml::Reader::default();
    let fleet = load::fleet(&mut reader, &root);
    match fleet {
        Some(fleet) if reader.problems.is_empty() => Ok(fleet),
        _ => Err(Problems::new(path, reader.problems)),
    }
}
