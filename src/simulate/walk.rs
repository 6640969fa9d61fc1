//! Where a simulated cat really is, and when her collar takes a fix.
//!
//! Each cat has a territory of her own: beds around home (one in the house,
//! a few in gardens and sheds nearby) and haunts she visits, 50 to 400 m
//! away, which is the range a neutered house cat keeps (Kays et al. 2020,
//! "The small home ranges and large local ecological impacts of pet cats",
//! found a median of 3.6 ha). Her day alternates rests in a bed and
//! outings: a correlated random walk to one or two haunts, some prowling
//! there, and back to a bed. Rests are short at dawn and dusk, when cats are
//! most active, and long in the afternoon and deep night.
//!
//! The collar follows an LGT-92 in motion mode: a fix every hour while she
//! is still, one the moment she moves, then one every five minutes until she
//! has settled again.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::plane::Offset;
use super::rng::Rng;

/// Milliseconds between fixes while the cat moves.
pub const MOVING_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// Milliseconds between fixes while she is still.
pub const STILL_INTERVAL_MS: i64 = 60 * 60 * 1000;

/// The farthest haunt from home, in metres.
pub const FARTHEST_HAUNT_M: f64 = 400.0;

/// The nearest haunt from home, in metres.
const NEAREST_HAUNT_M: f64 = 50.0;

/// How far from a haunt she prowls, in metres.
const PROWL_RADIUS_M: f64 = 15.0;

/// The walk's time step, in milliseconds; it divides the moving interval,
/// so fixes fall on steps.
const STEP_MS: i64 = 20_000;

/// Within this many metres of where she heads, she is there.
const ARRIVED_M: f64 = 3.0;

/// How strongly her heading keeps its direction, turns toward where she is
/// going, and wanders, one step to the next: the correlated random walk.
const PERSISTENCE: f64 = 0.6;
const PULL: f64 = 0.7;
const WANDER: f64 = 0.6;

/// The share of steps she stops to sniff, watch or groom.
const PAUSE: f64 = 0.3;

/// Walking longer than this toward one place, she goes straight there.
const MAX_LEG_MS: i64 = 2 * 60 * 60 * 1000;

/// How active cats are at each local hour, 0 to 1: crepuscular, with
/// peaks at dawn and dusk, some night roaming and a long afternoon nap.
const ACTIVITY: [f64; 24] = [
    0.4, 0.35, 0.3, 0.3, 0.45, 0.8, 1.0, 0.9, 0.6, 0.45, 0.35, 0.3, //
    0.25, 0.25, 0.3, 0.35, 0.5, 0.7, 0.9, 1.0, 0.9, 0.7, 0.55, 0.45,
];

/// A place and how much she likes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Spot {
    pub at: Offset,
    pub weight: f64,
}

/// One cat's world and habits.
#[derive(Debug, Clone, PartialEq)]
pub struct Territory {
    /// Where she rests; the first is in the house.
    pub beds: Vec<Spot>,
    /// Where her outings go.
    pub haunts: Vec<Spot>,
    /// Her walking speed, in metres a second.
    pub pace: f64,
    /// Her mean rest, in hours, at the most active time of day.
    pub rest_hours: f64,
}

impl Territory {
    pub fn new(rng: &mut Rng) -> Territory {
        let mut beds = vec![Spot {
            at: Offset::toward(rng.direction(), rng.range(0.0, 8.0)),
            weight: rng.range(3.0, 6.0),
        }];
        for _ in 0..1 + rng.below(3) {
            beds.push(Spot {
                at: Offset::toward(rng.direction(), rng.range(15.0, 60.0)),
                weight: rng.range(0.5, 2.0),
            });
        }
        let haunts = (0..3 + rng.below(3))
            .map(|_| Spot {
                at: Offset::toward(
                    rng.direction(),
                    rng.range(NEAREST_HAUNT_M, FARTHEST_HAUNT_M),
                ),
                weight: rng.range(0.5, 3.0),
            })
            .collect();
        Territory {
            beds,
            haunts,
            pace: rng.range(0.5, 0.9),
            rest_hours: rng.range(1.0, 2.0),
        }
    }
}

/// The collar taking a fix: when, where she truly is, and whether she is
/// on the move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Epoch milliseconds.
    pub time_ms: i64,
    pub at: Offset,
    pub moving: bool,
}

/// The fixes of a cat with `territory` from `from` to `to`.
pub fn walk(
    territory: &Territory,
    (from, to): (Timestamp, Timestamp),
    tz: &TimeZone,
    rng: &mut Rng,
) -> Vec<Sample> {
    let bed = &territory.beds[rng.pick(&weights(&territory.beds))];
    let start = from.as_millisecond();
    let mut walker = Walker {
        territory,
        rng,
        tz,
        end: to.as_millisecond(),
        now: start,
        at: bed.at,
        heading: Offset::new(1.0, 0.0),
        // The collar's hourly timer started some time before the day.
        next_fix: start,
        samples: Vec::new(),
    };
    walker.next_fix += (walker.rng.unit() * STILL_INTERVAL_MS as f64) as i64;
    walker.run();
    walker.samples
}

struct Walker<'a> {
    territory: &'a Territory,
    rng: &'a mut Rng,
    tz: &'a TimeZone,
    end: i64,
    now: i64,
    at: Offset,
    heading: Offset,
    next_fix: i64,
    samples: Vec<Sample>,
}

impl Walker<'_> {
    fn run(&mut self) {
        while self.now < self.end {
            let departure = self.now + self.rest_ms();
            self.rest_until(departure);
            if departure >= self.end {
                break;
            }
            self.now = departure;
            self.next_fix = departure;
            self.outing();
        }
    }

    /// Hourly fixes until she leaves. A fix due within a minute of leaving
    /// is not taken: the departure's fix is.
    fn rest_until(&mut self, departure: i64) {
        while self.next_fix + 60_000 <= departure.min(self.end) {
            self.fix(false);
            self.next_fix += STILL_INTERVAL_MS;
        }
    }

    fn rest_ms(&mut self) -> i64 {
        let hour = Timestamp::from_millisecond(self.now)
            .map(|t| t.to_zoned_datetime(self.tz.clone()).hour())
            .unwrap_or(0);
        let mean = self.territory.rest_hours / ACTIVITY[usize::try_from(hour).unwrap_or(0)];
        let hours = (mean * self.rng.range(0.5, 1.5)).clamp(0.5, 10.0);
        (hours * 3_600_000.0) as i64
    }

    /// One or two haunts, prowling at each, then a bed.
    fn outing(&mut self) {
        let territory = self.territory;
        let mut haunts = weights(&territory.haunts);
        let visits = if self.rng.chance(0.3) { 2 } else { 1 };
        for _ in 0..visits {
            let haunt = self.rng.pick(&haunts);
            haunts[haunt] = 0.0;
            self.travel(territory.haunts[haunt].at, territory.pace, self.end);
            self.prowl(territory.haunts[haunt].at);
        }
        let bed = territory.beds[self.rng.pick(&weights(&territory.beds))].at;
        self.travel(bed, territory.pace, self.end);
        self.settle();
    }

    /// Slow wandering around a haunt for ten minutes to an hour.
    fn prowl(&mut self, haunt: Offset) {
        let until = self.now + (self.rng.range(10.0, 60.0) * 60_000.0) as i64;
        while self.now < until.min(self.end) {
            let spot =
                haunt + Offset::toward(self.rng.direction(), self.rng.range(0.0, PROWL_RADIUS_M));
            let before = self.now;
            self.travel(spot, self.territory.pace * 0.3, until);
            if self.now == before {
                // Already there: she sits a moment before moving on.
                self.now += STEP_MS;
            }
        }
    }

    /// Walks toward `target` until there, or until `deadline`.
    fn travel(&mut self, target: Offset, pace: f64, deadline: i64) {
        let started = self.now;
        while self.now < deadline.min(self.end) {
            self.fix_if_due();
            let to = target - self.at;
            let distance = to.length();
            if distance < ARRIVED_M {
                self.at = target;
                return;
            }
            self.heading = if self.now - started > MAX_LEG_MS || distance < 5.0 * ARRIVED_M {
                to.unit()
            } else {
                let wander = Offset::toward(self.rng.direction(), WANDER);
                (self.heading * PERSISTENCE + to.unit() * PULL + wander).unit()
            };
            let speed = if self.rng.chance(PAUSE) {
                0.0
            } else {
                pace * self.rng.range(0.6, 1.4)
            };
            let metres = (speed * STEP_MS as f64 / 1000.0).min(distance);
            self.at = self.at + self.heading * metres;
            self.now += STEP_MS;
        }
    }

    /// Back in a bed: the collar takes one more fix at its next five-minute
    /// mark, sees she is still, and returns to hourly fixes.
    fn settle(&mut self) {
        while self.next_fix < self.now {
            self.next_fix += MOVING_INTERVAL_MS;
        }
        if self.next_fix < self.end {
            self.fix(false);
        }
        self.now = self.next_fix;
        self.next_fix += STILL_INTERVAL_MS;
    }

    fn fix_if_due(&mut self) {
        if self.now >= self.next_fix {
            self.fix(true);
            self.next_fix += MOVING_INTERVAL_MS;
        }
    }

    fn fix(&mut self, moving: bool) {
        if self.next_fix < self.end {
            self.samples.push(Sample {
                time_ms: self.next_fix,
                at: self.at,
                moving,
            });
        }
    }
}

fn weights(spots: &[Spot]) -> Vec<f64> {
    spots.iter().map(|s| s.weight).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> (Timestamp, Timestamp) {
        let from: Timestamp = "2026-12-01T00:00:00+01:00".parse().unwrap();
        (from, from + jiff::SignedDuration::from_hours(24))
    }

    fn amsterdam() -> TimeZone {
        TimeZone::get("Europe/Amsterdam").unwrap()
    }

    #[test]
    fn territories_keep_their_places_in_range() {
        let mut rng = Rng::new(5);
        for _ in 0..200 {
            let t = Territory::new(&mut rng);
            assert!(t.beds[0].at.length() <= 8.0);
            assert!(t.beds.iter().all(|b| b.at.length() <= 60.0));
            assert!((3..=5).contains(&t.haunts.len()));
            assert!(
                t.haunts
                    .iter()
                    .all(|h| (NEAREST_HAUNT_M..=FARTHEST_HAUNT_M).contains(&h.at.length()))
            );
        }
    }

    #[test]
    fn a_day_has_rests_and_outings_within_the_day() {
        let mut rng = Rng::new(11);
        let territory = Territory::new(&mut rng);
        let samples = walk(&territory, day(), &amsterdam(), &mut rng);
        let (from, to) = day();
        assert!(
            samples
                .iter()
                .all(|s| (from.as_millisecond()..to.as_millisecond()).contains(&s.time_ms))
        );
        assert!(samples.windows(2).all(|w| w[0].time_ms < w[1].time_ms));
        let moving = samples.iter().filter(|s| s.moving).count();
        assert!(moving >= 10, "{moving} moving fixes");
        assert!(samples.len() - moving >= 5, "{samples:?}");
    }
}
