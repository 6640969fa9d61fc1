//! Progress as a stream of events. The deploy code says what happens
//! (a stack started, a resource changed, a stack finished or failed, the
//! registry changed a thing); [`crate::printer`] alone decides how that
//! is drawn: bars on a terminal, plain lines otherwise, JSON for scripts.

use std::time::Duration;

use serde::Serialize;

/// What is being done to a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One thing that happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Work on a stack began; `resources` is how many it will hold.
    StackStarted {
        stack: String,
        action: Action,
        resources: usize,
    },
    /// CloudFormation reported a resource's new status.
    Resource {
        stack: String,
        logical_id: String,
        resource_type: String,
        status: String,
        reason: Option<String>,
    },
    /// The stack is waiting for an operation someone else started.
    Waiting {
        stack: String,
        status: String,
    },
    StackDone {
        stack: String,
        action: Action,
        status: String,
        #[serde(with = "seconds")]
        elapsed: Duration,
    },
    StackUnchanged {
        stack: String,
    },
    StackFailed {
        stack: String,
        status: String,
        reasons: Vec<String>,
    },
    /// The registry step changed a thing.
    Registry {
        thing: String,
        change: String,
    },
    /// Something the user should know that is not a failure.
    Note {
        message: String,
    },
}

/// Receives events. Implementations must be cheap: they are called from
/// the deploy tasks as things happen.
pub trait Reporter: Send + Sync {
    fn event(&self, event: Event);
}

/// A reporter that drops every event, for library callers and tests that
/// only want the result.
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: Event) {}
}

mod seconds {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_secs_f64() * 10.0).round() / 10.0)
    }
}
