//! `fleet local`: run the local AWS IoT Core (MQTT broker and rules
//! engine) beside the emulator until Ctrl-C.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::aws::{self, Target};
use crate::error::Error;
use crate::local::{Broker, Engine, LocalError};

pub async fn run(
    file: &Path,
    target: &Target,
    port: u16,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let region = match crate::fleetfile::load(file) {
        Ok(fleet) => fleet.region,
        Err(crate::fleetfile::LoadError::Read { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let aws = aws::connect(target, region.as_deref()).await?;
    let endpoint = aws.endpoint.clone().ok_or(LocalError::NoEmulator)?;

    let engine = Engine::new(&aws).await?;
    let mut broker = Broker::start(port)?;
    let url = format!("mqtt://{}", broker.addr);
    register(&endpoint, Some(&url));
    engine.keep_rules_fresh(aws.clone());

    writeln!(out, "fleet-local listening on {url}")?;
    out.flush()?;
    let rules = crate::local::rules_summary(&engine).await;
    eprintln!("fleet local: running {rules} from {endpoint}; Ctrl-C stops it");

    loop {
        tokio::select! {
            message = broker.messages.recv() => match message {
                Some(message) => engine.handle(&message).await,
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    register(&endpoint, None);
    Ok(())
}

/// Tells the emulator where to forward `iot-data publish`, or that this
/// broker is gone. Without it MQTT clients still reach the broker, so a
/// failure is a warning.
fn register(endpoint: &str, url: Option<&str>) {
    let address = format!("{}/_fleet/broker", endpoint.trim_end_matches('/'));
    let result = match url {
        Some(url) => ureq::post(&address)
            .send_json(json!({ "url": url }))
            .map(|_| ()),
        None => ureq::delete(&address).call().map(|_| ()),
    };
    if let Err(e) = result {
        tracing::warn!(
            "could not register with the emulator at {address}: {e}; messages published through \
             the IoT data plane will not reach this broker"
        );
    }
}
