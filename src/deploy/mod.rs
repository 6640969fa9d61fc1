//! Deploying a fleet to CloudFormation and the IoT registry: the shared
//! context and errors, with one module per part of the work.
//!
//! Every stack operation goes through a change set with an explicit type
//! (CREATE for a new stack, UPDATE for an existing one), so what runs is
//! what `fleet plan` shows. A stack whose deployed template already equals
//! the rendered one is left alone without creating any change set, which
//! is what makes a repeated `apply` quick. Waiting polls with a growing
//! interval (quick against the emulator, gentle on AWS's API limits), and
//! stops when the user presses Ctrl-C, leaving CloudFormation to finish.

pub mod apply;
pub mod destroy;
pub mod discover;
pub mod plan;
pub mod registry;
pub mod stack;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tokio::sync::watch;

use crate::aws::Aws;
use crate::progress::Reporter;

/// The tag every stack fleet deploys carries, naming its fleet; stack tags
/// propagate to the resources that support tags.
pub const FLEET_TAG: &str = "fleet:stack";

/// How many stacks, or registry calls, run at once.
pub const PARALLEL_STACKS: usize = 4;
pub const PARALLEL_REGISTRY_CALLS: usize = 8;

/// What every deploy task needs: clients, where they point, whom to tell.
#[derive(Clone)]
pub struct Ctx {
    pub config: aws_config::SdkConfig,
    pub cfn: aws_sdk_cloudformation::Client,
    pub iot: aws_sdk_iot::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Where calls go, for messages.
    pub endpoint: String,
    /// The fleet's core stack name, which tags everything fleet owns.
    pub fleet_stack: String,
    pub reporter: Arc<dyn Reporter>,
    /// Becomes true when the user asks to stop waiting.
    pub interrupted: watch::Receiver<bool>,
}

impl Ctx {
    pub fn new(
        aws: &Aws,
        fleet_stack: &str,
        reporter: Arc<dyn Reporter>,
        interrupted: watch::Receiver<bool>,
    ) -> Ctx {
        Ctx {
            config: aws.config.clone(),
            cfn: aws.cloudformation(),
            iot: aws.iot(),
            dynamodb: aws.dynamodb(),
            endpoint: aws.describe(),
            fleet_stack: fleet_stack.to_string(),
            reporter,
            interrupted,
        }
    }

    /// The SDK settings, for clients the context does not hold.
    pub fn config(&self) -> &aws_config::SdkConfig {
        &self.config
    }

    /// The account's IoT data endpoint (`iot:Data-ATS`), where trackers'
    /// uplinks and `fleet verify`'s test uplinks are published.
    pub async fn data_endpoint(&self) -> Result<String, DeployError> {
        let out = self
            .iot
            .describe_endpoint()
            .endpoint_type("iot:Data-ATS")
            .send()
            .await
            .map_err(|e| self.call_error("iot:Data-ATS", "DescribeEndpoint", sdk_message(e)))?;
        Ok(out.endpoint_address().unwrap_or_default().to_string())
    }

    /// An error for a failed call on `subject` (a stack, table or thing).
    pub fn call_error(
        &self,
        subject: &str,
        operation: &'static str,
        message: String,
    ) -> DeployError {
        DeployError::Call {
            subject: subject.to_string(),
            operation,
            endpoint: self.endpoint.clone(),
            message,
        }
    }

    /// Sleeps one polling interval, or returns `Err` if the user pressed
    /// Ctrl-C meanwhile.
    pub async fn pause(
        &self,
        poll: &mut Poll,
        stack: &str,
        status: &str,
    ) -> Result<(), DeployError> {
        let mut interrupted = self.interrupted.clone();
        if *interrupted.borrow() {
            return Err(DeployError::Interrupted {
                stack: stack.into(),
                status: status.into(),
            });
        }
        // A closed channel (nobody can interrupt) disables the second branch.
        tokio::select! {
            () = poll.sleep() => Ok(()),
            Ok(()) = interrupted.changed() => {
                Err(DeployError::Interrupted { stack: stack.into(), status: status.into() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pause_returns_interrupted_once_ctrl_c_is_seen() {
        let (stop, interrupted) = watch::channel(false);
        let shared = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .build();
        let aws = Aws {
            config: shared,
            endpoint: None,
        };
        let ctx = Ctx::new(&aws, "cats", Arc::new(crate::progress::Silent), interrupted);
        let mut poll = Poll::new();

        assert!(
            ctx.pause(&mut poll, "cats", "UPDATE_IN_PROGRESS")
                .await
                .is_ok()
        );
        stop.send(true).unwrap();
        let err = ctx
            .pause(&mut poll, "cats", "UPDATE_IN_PROGRESS")
            .await
            .unwrap_err();
        assert!(err.is_interrupted());
        assert!(
            err.to_string().contains("still UPDATE_IN_PROGRESS"),
            "{err}"
        );

        let ctx = Ctx {
            interrupted: never_interrupted(),
            ..ctx
        };
        assert!(
            ctx.pause(&mut poll, "cats", "UPDATE_IN_PROGRESS")
                .await
                .is_ok()
        );
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{operation} on `{subject}` failed at {endpoint}: {message}")]
    Call {
        subject: String,
        operation: &'static str,
        endpoint: String,
        message: String,
    },
    #[error("stack `{stack}` ended in {status}{}; {hint}", failures(.reasons))]
    Failed {
        stack: String,
        status: String,
        reasons: Vec<String>,
        hint: &'static str,
    },
    #[error(
        "stack `{stack}` is in {status}: its first creation failed and it holds nothing; \
         it must be deleted before it can be created again (run `fleet apply --yes` to let \
         fleet delete and recreate it)"
    )]
    NeedsDeletion { stack: String, status: String },
    #[error(
        "stack `{stack}` is in {status}, which needs a person: see its events in the \
         CloudFormation console, then retry"
    )]
    Stuck { stack: String, status: String },
    #[error(
        "stopped waiting: stack `{stack}` is still {status} in CloudFormation and carries on \
         without fleet; run `fleet apply` or `fleet status` to pick it up"
    )]
    Interrupted { stack: String, status: String },
}

impl DeployError {
    pub fn is_interrupted(&self) -> bool {
        matches!(self, DeployError::Interrupted { .. })
    }
}

fn failures(reasons: &[String]) -> String {
    if reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", reasons.join("; "))
    }
}

/// One line for an SDK error: the service's code and message when it
/// answered, else a plain sentence for the common failures (the whole
/// chain is logged with `-v`).
pub fn sdk_message<E, R>(e: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => {
            let chain = DisplayErrorContext(&e).to_string();
            tracing::debug!("AWS call failed: {chain}");
            plain_reason(&chain).map_or(chain, str::to_string)
        }
    }
}

fn plain_reason(chain: &str) -> Option<&'static str> {
    if chain.contains("loading credentials") || chain.contains("no providers in chain") {
        Some(
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (against the local emulator any values do)",
        )
    } else if chain.contains("Connection refused") || chain.contains("connection refused") {
        Some("nothing answers there (connection refused); is the endpoint right and running?")
    } else if chain.contains("timed out") || chain.contains("TimeoutError") {
        Some("the request timed out; check the endpoint and your network")
    } else if chain.contains("dns error") || chain.contains("failed to lookup address") {
        Some("the endpoint's host name does not resolve")
    } else {
        None
    }
}

/// A receiver for [`Ctx::interrupted`] that never fires, for callers that
/// cannot be interrupted (tests, library use).
pub fn never_interrupted() -> watch::Receiver<bool> {
    watch::channel(false).1
}

/// A polling interval that starts short and grows to five seconds.
pub struct Poll(Duration);

impl Poll {
    pub fn new() -> Poll {
        Poll(Duration::from_millis(200))
    }

    async fn sleep(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 3 / 2).min(Duration::from_secs(5));
    }
}

impl Default for Poll {
    fn default() -> Poll {
        Poll::new()
    }
}
