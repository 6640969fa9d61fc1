//! The embedded MQTT broker and the in-process link the rules engine
//! listens on.

use std::net::{SocketAddr, TcpListener};

use serde_json::json;
use tokio::sync::mpsc;

use super::{LocalError, Message};

/// A broker running on its own threads, and the messages published to it.
pub struct Broker {
    pub addr: SocketAddr,
    pub messages: mpsc::Receiver<Message>,
}

impl Broker {
    /// Starts the broker on 127.0.0.1:`port` (0 for a free port) and
    /// subscribes the rules engine to every topic.
    pub fn start(port: u16) -> Result<Broker, LocalError> {
        let addr = free_addr(port)?;
        let config: rumqttd::Config =
            serde_json::from_value(config(addr)).map_err(|e| LocalError::Broker {
                addr: addr.to_string(),
                reason: format!("configuration: {e}"),
            })?;

        let mut broker = rumqttd::Broker::new(config);
        let (mut link_tx, mut link_rx) =
            broker
                .link("fleet-local-rules")
                .map_err(|e| LocalError::Broker {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })?;
        link_tx.subscribe("#").map_err(|e| LocalError::Broker {
            addr: addr.to_string(),
            reason: e.to_string(),
        })?;
        std::thread::Builder::new()
            .name("mqtt-broker".into())
            .spawn(move || {
                if let Err(e) = broker.start() {
                    tracing::error!("the MQTT broker stopped: {e}");
                }
            })
            .map_err(|e| LocalError::Broker {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?;

        let (tx, messages) = mpsc::channel(1024);
        tokio::spawn(async move {
            // The link must live as long as the subscription.
            let _link_tx = link_tx;
            while let Ok(notification) = link_rx.next().await {
                if let Some(rumqttd::Notification::Forward(forward)) = notification {
                    let topic = String::from_utf8_lossy(&forward.publish.topic).into_owned();
                    let payload = forward.publish.payload.to_vec();
                    if tx.send(Message { topic, payload }).await.is_err() {
                        break;
                    }
                }
            }
        });
        Ok(Broker { addr, messages })
    }
}

/// The address to listen on: rumqttd cannot report the port it was given
/// by the system, so a free one is found first.
fn free_addr(port: u16) -> Result<SocketAddr, LocalError> {
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| LocalError::Broker {
        addr: format!("127.0.0.1:{port}"),
        reason: e.to_string(),
    })?;
    listener.local_addr().map_err(|e| LocalError::Broker {
        addr: format!("127.0.0.1:{port}"),
        reason: e.to_string(),
    })
}

fn config(addr: SocketAddr) -> serde_json::Value {
    let connections = json!({
        "connection_timeout_ms": 60000,
        "max_payload_size": 131072,
        "max_inflight_count": 100,
        "dynamic_filters": true,
    });
    json!({
        "id": 0,
        "router": {
            "id": 0,
            "max_connections": 1000,
            "max_outgoing_packet_count": 200,
            "max_segment_size": 10485760,
            "max_segment_count": 10,
        },
        "v4": {"1": {"name": "v4", "listen": addr.to_string(), "next_connection_delay_ms": 1, "connections": connections}},
    })
}
