//! `fleet simulate`'s engine: realistic TTN v3 uplinks for the fleet's cats,
//! and the two ways of sending them.
//!
//! Generating is offline and deterministic: [`Plan::generate`] walks each
//! cat through her days ([`walk`]) and has her collar report each fix
//! ([`collar`]), as an LGT-92 would, bad fixes included; [`uplink`] gives
//! the message TTN would publish. Every cat, and every part of her
//! simulation, draws from a stream of its own derived from the seed
//! ([`rng`]), so one cat's days do not depend on which other cats are
//! simulated, and the same seed gives the same uplinks everywhere. A
//! recorded track ([`replay`]) can stand in for the walk: its points are
//! reported as they are, at their own times.
//!
//! Sending takes the generated uplinks in time order: [`publish`] sends
//! them through the IoT data plane, so they travel topic -> rule -> table
//! as real ones do; [`direct`] runs the fleet's rule here and batch-writes
//! the items it produces, for data sets too large to publish.

pub mod collar;
pub mod direct;
pub mod plane;
pub mod publish;
pub mod replay;
pub mod rng;
pub mod uplink;
pub mod walk;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::Value;

pub use collar::{BAD_FIX_RATE, BadFix, NO_FIX_DEGREES, Reading};
pub use plane::{DEFAULT_HOME, Home, Offset};
pub use walk::{MOVING_INTERVAL_MS, STILL_INTERVAL_MS};

use crate::model::{Cat, Fleet};
use collar::Collar;
use rng::Rng;
use walk::Territory;

/// What to simulate.
pub struct Plan<'a> {
    pub fleet: &'a Fleet,
    pub cats: Vec<&'a Cat>,
    pub home: Home,
    /// The first local midnight, and the midnight after the last day.
    pub from: Timestamp,
    pub to: Timestamp,
    /// The zone the days are counted in; cats keep its hours.
    pub tz: TimeZone,
    pub seed: u64,
    /// A recorded track to replay as the one cat's fixes, instead of
    /// walking her through her days.
    pub replay: Option<Vec<replay::TrackPoint>>,
}

/// One uplink: whose collar sent it (an index into [`Plan::cats`]) and
/// what it reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Uplink {
    pub cat: usize,
    pub reading: Reading,
}

/// How many uplinks a cat's collar sent, and how many of them were bad.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatTally {
    pub name: String,
    pub device: String,
    pub uplinks: usize,
    pub bad_fixes: usize,
}

impl Plan<'_> {
    /// Every cat's uplinks, in the order TTN would receive them.
    pub fn generate(&self) -> Vec<Uplink> {
        let mut uplinks: Vec<Uplink> = self
            .cats
            .iter()
            .enumerate()
            .flat_map(|(i, cat)| {
                self.readings(cat)
                    .into_iter()
                    .map(move |reading| Uplink { cat: i, reading })
            })
            .collect();
        uplinks.sort_by_key(|u| (u.reading.received_ms, u.cat));
        uplinks
    }

    /// One cat's readings, in time order.
    fn readings(&self, cat: &Cat) -> Vec<Reading> {
        let stream = |part: &str| Rng::derive(self.seed, &format!("{}/{part}", cat.device));
        if let Some(track) = &self.replay {
            let mut collar = Collar::new(stream("collar"));
            return track
                .iter()
                .zip(std::iter::once(None).chain(track.iter().map(Some)))
                .map(|(point, before)| {
                    let sample = walk::Sample {
                        time_ms: point.time_ms,
                        at: self.home.offset_of(point.latitude, point.longitude),
                        moving: before.is_some_and(|b| replay::moving(b, point)),
                    };
                    collar.replay(&sample, (point.latitude, point.longitude))
                })
                .collect();
        }
        let territory = Territory::new(&mut stream("territory"));
        let days = (self.from, self.to);
        let samples = walk::walk(&territory, days, &self.tz, &mut stream("walk"));
        let mut collar = Collar::new(stream("collar"));
        samples.iter().map(|s| collar.read(s, &self.home)).collect()
    }

    /// The message TTN would publish for `uplink`.
    pub fn json(&self, uplink: &Uplink) -> Value {
        uplink::to_json(
            self.fleet,
            self.cats[uplink.cat],
            &uplink.reading,
            self.seed,
        )
    }

    /// The topic `uplink` arrives on under the fleet's topic filter.
    pub fn topic(&self, uplink: &Uplink) -> String {
        crate::rule::uplink_topic(self.fleet, &self.cats[uplink.cat].device)
    }

    /// Uplinks and bad fixes per cat, in the plan's order of cats.
    pub fn tally(&self, uplinks: &[Uplink]) -> Vec<CatTally> {
        let mut tallies: Vec<CatTally> = self
            .cats
            .iter()
            .map(|c| CatTally {
                name: c.name.clone(),
                device: c.device.clone(),
                uplinks: 0,
                bad_fixes: 0,
            })
            .collect();
        for u in uplinks {
            tallies[u.cat].uplinks += 1;
            tallies[u.cat].bad_fixes += usize::from(u.reading.bad.is_some());
        }
        tallies
    }
}

/// Midnight of `start` to midnight `days` days later, in `tz`: local days,
/// of 23 or 25 hours when the clocks change.
pub fn local_days(start: Date, days: u32, tz: &TimeZone) -> Result<(Timestamp, Timestamp), String> {
    let end = start
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .map_err(|e| e.to_string())?;
    let midnight = |date: Date| {
        date.to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| format!("{date}: {e}"))
    };
    Ok((midnight(start)?, midnight(end)?))
}

/// Told as uplinks go out, so the command can draw it.
pub trait Progress: Send + Sync {
    /// `done` uplinks have now been sent or written.
    fn advanced(&self, done: usize);
}

/// How a sending run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub count: usize,
    /// Ctrl-C stopped it before the end.
    pub interrupted: bool,
}

#[cfg(test)]
mod tests;
