//! `verify`: is the deployed fleet the one the file declares, and does an
//! uplink really reach the table?
//!
//! First the static checks, each a pass or a fail with its reason:
//! credentials, stacks, things, the rule, its role, the table. Then, end
//! to end, a synthetic TTN v3 uplink is published for a real device of the
//! fleet through the IoT data plane, exactly as an uplink travels, and the
//! item is awaited in the table. When it does not come, the diagnosis says
//! why, most likely cause first.

mod checks;
mod diagnose;
mod uplink;

use serde::Serialize;

pub use checks::static_checks;
pub use uplink::{EndToEnd, end_to_end};

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn pass(name: &str, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
        }
    }

    pub fn fail(name: &str, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
        }
    }
}
