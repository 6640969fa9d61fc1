//! What is wrong with a fleet file, and where.
//!
//! A [`Problem`] is one finding with its position and key; [`Problems`] is
//! every finding for one file, printed one per line as
//! `fleet.yaml:LINE:COL: key: what is wrong`, the shape editors and
//! terminals turn into links.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A 1-based line and column in the fleet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// One thing wrong with the fleet file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(flatten)]
    pub pos: Pos,
    /// The dotted path of the key, such as `cats[2].dev_eui`; empty for
    /// the document as a whole.
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(pos: Pos, key: &str, message: impl Into<String>) -> Problem {
        Problem {
            pos,
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// Every problem found in one fleet file, in file order.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Problems {
    pub file: PathBuf,
    pub list: Vec<Problem>,
}

impl Problems {
    pub fn new(file: &Path, mut list: Vec<Problem>) -> Problems {
        list.sort_by_key(|p| p.pos);
        Problems {
            file: file.to_path_buf(),
            list,
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        for (i, p) in self.list.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{file}:{}:{}: ", p.pos.line, p.pos.col)?;
            if !p.key.is_empty() {
                write!(f, "{}: ", p.key)?;
            }
            write!(f, "{}", p.message)?;
        }
        Ok(())
    }
}
