//! A reading as the TTN v3 uplink message The Things Network's AWS IoT
//! integration publishes, in the shape of examples/uplink-lgt92.json, with
//! the LGT-92 decoder's fields.
//!
//! TTN's own `simulated: true` marks the message, as it does uplinks
//! simulated from its console, and the correlation id names fleet and the
//! seed. `frm_payload` (the raw bytes) is left out: fleet's rule and fix
//! reader use the decoded payload, and TTN leaves it out of uplinks whose
//! application does not ask for it.

use serde_json::{Value, json};

use super::collar::Reading;
use crate::model::{Cat, Fleet};

/// The gateway in the simulated house.
pub const GATEWAY_ID: &str = "fleet-simulate-gw";

/// The TTN v3 uplink for one reading of `cat`'s collar.
pub fn to_json(fleet: &Fleet, cat: &Cat, reading: &Reading, seed: u64) -> Value {
    json!({
        "end_device_ids": {
            "device_id": cat.device,
            "application_ids": {"application_id": fleet.ttn.application},
            "dev_eui": cat.dev_eui,
        },
        "correlation_ids": [format!("fleet:simulate:seed:{seed}")],
        "received_at": rfc3339(reading.received_ms),
        "uplink_message": {
            "f_port": 2,
            "f_cnt": reading.f_cnt,
            "decoded_payload": {
                "ALARM_status": "FALSE",
                "BatV": reading.battery,
                "FW": 160,
                "LON": "ON",
                "Latitude": reading.latitude,
                "Longitude": reading.longitude,
                "MD": "Move",
                "Pitch": reading.pitch,
                "Roll": reading.roll,
            },
            "rx_metadata": [{
                "gateway_ids": {"gateway_id": GATEWAY_ID},
                "time": rfc3339(reading.gateway_ms),
                "rssi": reading.rssi,
                "channel_rssi": reading.rssi,
                "snr": reading.snr,
            }],
            "settings": {
                "data_rate": {"lora": {"bandwidth": 125_000, "spreading_factor": reading.spreading_factor}},
                "frequency": reading.frequency.to_string(),
            },
            "received_at": rfc3339(reading.network_ms),
        },
        "simulated": true,
    })
}

/// Epoch milliseconds as RFC 3339 in UTC, as TTN writes times.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| "1970-01-01T00:00:00Z".into(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_milliseconds() {
        assert_eq!(rfc3339(1_796_120_130_123), "2026-12-01T10:15:30.123Z");
        assert_eq!(rfc3339(1_796_120_130_000), "2026-12-01T10:15:30Z");
    }
}
