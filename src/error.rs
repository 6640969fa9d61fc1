//! The errors a command ends with, and the exit status each one means.
//!
//! Status 2 is for input the user can fix before anything runs (the fleet
//! file, a flag); status 1 for everything that went wrong while running.

use std::path::PathBuf;

use crate::aws::AwsError;
use crate::deploy::DeployError;
use crate::fleetfile::{LoadError, Problems};
use crate::render::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{}: {source}", file.display())]
    Render { file: PathBuf, source: RenderError },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Local(#[from] crate::local::LocalError),
    #[error(transparent)]
    Map(#[from] crate::map::MapError),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Load(LoadError::Invalid(_)) | Error::Render { .. } | Error::Usage(_) => 2,
            Error::Aws(AwsError::BadEndpoint { .. }) => 2,
            Error::Deploy(e) if e.is_interrupted() => 130,
            Error::Map(e) => e.exit_code(),
            Error::Load(LoadError::Read { .. })
            | Error::Write { .. }
            | Error::Output(_)
            | Error::Aws(_)
            | Error::Deploy(_)
            | Error::Local(_) => 1,
        }
    }

    /// The fleet file problems behind this error, for JSON output.
    pub fn problems(&self) -> Option<&Problems> {
        match self {
            Error::Load(LoadError::Invalid(p)) => Some(p),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
