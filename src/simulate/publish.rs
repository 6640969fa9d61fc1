//! Publishing uplinks through the AWS IoT data plane, as The Things
//! Network's integration does: in time order, at a limited rate.
//!
//! The rate keeps a simulation within AWS IoT Core's quotas. The lowest a
//! single client meets is 100 publishes a second per MQTT connection (not
//! adjustable); account-wide publish and rules-engine quotas are in the
//! thousands a second and differ by region ("AWS IoT Core endpoints and
//! quotas" in the AWS General Reference). The default, 50 a second, is half
//! the per-connection limit, so the simulation looks to AWS like one busy
//! client and leaves the account's quota to the real trackers; a day of
//! three cats (some 400 uplinks) takes under ten seconds.

use std::time::Duration;

use aws_sdk_iotdataplane::primitives::Blob;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Plan, Progress, Sent, Uplink};
use crate::aws::Aws;
use crate::deploy::{Ctx, DeployError, sdk_message};

/// Publishes a second by default.
pub const DEFAULT_RATE: f64 = 50.0;

/// Publishes awaiting their answer at once: enough to keep the rate when
/// each takes a round trip to AWS, few enough that uplinks arrive in order
/// but for the last few.
const IN_FLIGHT: usize = 16;

/// The IoT data plane of the account, or of the emulator.
pub struct Publisher {
    client: aws_sdk_iotdataplane::Client,
    /// Where publishes go, for messages.
    pub endpoint: String,
}

impl Publisher {
    /// The endpoint fleet is pointed at (the emulator), or else the
    /// account's `iot:Data-ATS` endpoint, where trackers' uplinks go.
    pub async fn connect(ctx: &Ctx, aws: &Aws) -> Result<Publisher, DeployError> {
        let endpoint = match &aws.endpoint {
            Some(url) => url.clone(),
            None => format!("https://{}", ctx.data_endpoint().await?),
        };
        tracing::debug!(%endpoint, "publishing through the IoT data plane");
        let config = aws_sdk_iotdataplane::config::Builder::from(&aws.config)
            .endpoint_url(&endpoint)
            .build();
        Ok(Publisher {
            client: aws_sdk_iotdataplane::Client::from_conf(config),
            endpoint,
        })
    }

    /// Publishes every uplink, at most `rate` a second, until done, an
    /// uplink fails (after the SDK's retries), or `interrupted` turns true.
    pub async fn publish_all(
        &self,
        plan: &Plan<'_>,
        uplinks: &[Uplink],
        rate: f64,
        progress: &dyn Progress,
        mut interrupted: watch::Receiver<bool>,
    ) -> Result<Sent, DeployError> {
        let started = Instant::now();
        let mut sends = futures_util::stream::iter(uplinks.iter().enumerate())
            .map(|(k, uplink)| async move {
                // The k-th uplink goes no earlier than k / rate seconds in,
                // which holds the average rate without drifting.
                tokio::time::sleep_until(started + Duration::from_secs_f64(k as f64 / rate)).await;
                self.publish(plan, uplink).await
            })
            .buffered(IN_FLIGHT);

        let mut count = 0;
        loop {
            tokio::select! {
                next = sends.next() => match next {
                    None => break,
                    Some(Ok(())) => {
                        count += 1;
                        progress.advanced(count);
                    }
                    Some(Err((topic, message))) => {
                        let message =
                            format!("{message} ({count} of {} uplinks were published)", uplinks.len());
                        return Err(DeployError::Call {
                            subject: topic,
                            operation: "Publish",
                            endpoint: self.endpoint.clone(),
                            message,
                        });
                    }
                },
                Ok(()) = interrupted.changed() => {
                    return Ok(Sent { count, interrupted: true });
                }
            }
        }
        Ok(Sent {
            count,
            interrupted: false,
        })
    }

    /// Publishes one uplink with QoS 1, as TTN's integration does.
    async fn publish(&self, plan: &Plan<'_>, uplink: &Uplink) -> Result<(), (String, String)> {
        let topic = plan.topic(uplink);
        let body = serde_json::to_vec(&plan.json(uplink)).expect("JSON serializes");
        let result = self
            .client
            .publish()
            .topic(&topic)
            .qos(1)
            .payload(Blob::new(body))
            .send()
            .await;
        result.map(|_| ()).map_err(|e| (topic, sdk_message(e)))
    }
}
