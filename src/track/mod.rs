//! Where the cat has been: the data side of fleet, after the table.
//!
//! [`fix`] reads fixes from location table items and raw TTN uplinks and
//! cleans them; [`outings`] tells one cat's fixes as stops and trips;
//! [`places`] clusters fixes into the places she comes back to. All are
//! pure functions of the fixes, so they run the same on a `Query`'s items,
//! a replayed file or a test's synthetic day.

pub mod fix;
pub mod outings;
pub mod places;

pub use fix::{CleanParams, Fix, FixError, Reason, Rejected, clean, clean_with, haversine};
pub use outings::{Gap, OutingParams, Segment, Stop, Timeline, Trip, split};

/// Fixes for the tests: a cat at a place at a minute of 1 December 2026.
#[cfg(test)]
pub(crate) mod testing {
    use jiff::{SignedDuration, Timestamp};
    use serde_json::Map;

    use super::fix::{EARTH_RADIUS_M, Fix};

    /// Snowy's home, in Amsterdam.
    pub const HOME: (f64, f64) = (52.370_216, 4.895_168);

    pub fn minute(minute: i64) -> Timestamp {
        let midnight: Timestamp = "2026-12-01T00:00:00Z".parse().expect("a valid time");
        midnight + SignedDuration::from_mins(minute)
    }

    pub fn fix(device: &str, at: i64, (latitude, longitude): (f64, f64)) -> Fix {
        Fix {
            device: device.to_string(),
            time: minute(at),
            latitude,
            longitude,
            battery: None,
            rssi: None,
            snr: None,
            raw: Map::new(),
        }
    }

    /// The point `north` and `east` metres from a point (negative for south
    /// and west), exact enough over a few kilometres.
    pub fn moved((latitude, longitude): (f64, f64), north: f64, east: f64) -> (f64, f64) {
        let metres_per_degree = EARTH_RADIUS_M.to_radians();
        let east_per_degree = metres_per_degree * latitude.to_radians().cos();
        (
            latitude + north / metres_per_degree,
            longitude + east / east_per_degree,
        )
    }
}
