//! One module per command. Each takes its inputs and an output handle, so
//! tests can run a command in-process and read what it printed.

pub mod apply;
pub mod cat;
pub mod destroy;
pub mod history;
pub mod init;
pub mod local;
pub mod locations;
pub mod map;
pub mod outings;
pub mod places;
pub mod plan;
pub mod rule;
pub mod schema;
pub mod session;
pub mod simulate;
pub mod status;
pub mod template;
pub mod validate;
pub mod verify;

use std::path::Path;

use crate::error::Error;
use crate::model::Fleet;
use crate::render::{self, Rendered};

/// Loads the fleet file and renders it: the first two stages every command
/// that touches AWS starts with.
pub fn load_and_render(file: &Path) -> Result<(Fleet, Rendered), Error> {
    let fleet = crate::fleetfile::load(file)?;
    let rendered = render::render(&fleet).map_err(|source| Error::Render {
        file: file.into(),
        source,
    })?;
    Ok((fleet, rendered))
}
