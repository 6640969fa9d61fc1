//! What a Dragino LGT-92 collar reports for each fix: the position with
//! GPS error, now and then a bad fix, its battery draining, and how well
//! the home gateway heard it.

use serde::Serialize;

use super::plane::{Home, Offset};
use super::rng::Rng;
use super::walk::{STILL_INTERVAL_MS, Sample};

/// The share of fixes that are bad: one in fifty. LGT-92 owners see a
/// few bad fixes a day, mostly "no fix" after a cold start indoors; fleet's
/// fix cleaning must cope with them, so the simulation sends them.
pub const BAD_FIX_RATE: f64 = 0.02;

/// What a bad fix is, with how often each kind comes among bad fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadFix {
    /// The GPS found no position and the collar sent its marker: 0x0FFFFFFF
    /// in millionths of a degree for both coordinates (half of bad fixes).
    NoFix,
    /// The GPS timed out and the decoder gave 0/0 (a quarter).
    NullIsland,
    /// A wild position, farther than a cat could run since the last fix:
    /// a multipath or cold-start glitch (a quarter).
    Jump,
}

const BAD_FIX_KINDS: [(BadFix, f64); 3] = [
    (BadFix::NoFix, 0.5),
    (BadFix::NullIsland, 0.25),
    (BadFix::Jump, 0.25),
];

/// The "no fix" marker as the LGT-92 decoder gives it: 0x0FFFFFFF / 1e6.
pub const NO_FIX_DEGREES: f64 = 268.435_455;

/// The fastest a cat runs, in metres a second (48 km/h, a sprint): a jump
/// is at least twice as far as this allows since the fix before.
const CAT_SPRINT_MPS: f64 = 48.0 / 3.6;

/// GPS error, one standard deviation in metres, in each direction: a still
/// cat is often indoors or under a hedge, where an LGT-92 does worse.
const GPS_ERROR_STILL_M: f64 = 6.0;
const GPS_ERROR_MOVING_M: f64 = 4.0;

/// The battery: a charged collar starts near 4.0 V and loses about 0.1 V
/// a week, 11 mV a day in sleep plus 40 µV for each GPS fix and uplink.
/// At 3.6 V its owner recharges it. Readings carry ±2 mV of ADC noise.
const BATTERY_CHARGED_V: f64 = 4.0;
const DRAIN_PER_DAY_V: f64 = 0.011;
const DRAIN_PER_FIX_V: f64 = 0.000_04;
const RECHARGE_AT_V: f64 = 3.6;
pub const BATTERY_NOISE_V: f64 = 0.002;

/// EU868's three default channels, in hertz; the default home is in Europe.
const CHANNELS_HZ: [u32; 3] = [868_100_000, 868_300_000, 868_500_000];

/// One uplink's worth of what the collar measured and the gateway heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// When the collar took the fix, epoch milliseconds.
    pub fix_ms: i64,
    /// When the gateway heard the uplink (after the GPS and the airtime).
    pub gateway_ms: i64,
    /// When the network server received it.
    pub network_ms: i64,
    /// When the application server (TTN's `received_at`) got it.
    pub received_ms: i64,
    pub f_cnt: u32,
    /// As decoded: degrees to six places, or a bad fix's values.
    pub latitude: f64,
    pub longitude: f64,
    /// Volts, to the millivolt.
    pub battery: f64,
    /// Degrees, to the hundredth.
    pub roll: f64,
    pub pitch: f64,
    /// dBm.
    pub rssi: i32,
    /// dB, in quarter steps.
    pub snr: f64,
    pub spreading_factor: u8,
    pub frequency: u32,
    /// Whether the cat was moving (the generator's truth, not in the uplink).
    pub moving: bool,
    /// Where she truly was, in metres from home (not in the uplink).
    pub truth: Offset,
    pub bad: Option<BadFix>,
}

/// One collar's state across the run.
pub struct Collar {
    rng: Rng,
    f_cnt: u32,
    charge: f64,
    last_fix_ms: Option<i64>,
}

impl Collar {
    pub fn new(mut rng: Rng) -> Collar {
        // The frame counter of a collar joined some days ago.
        let f_cnt = 1 + rng.below(5_000) as u32;
        let charge = BATTERY_CHARGED_V + rng.range(-0.02, 0.02);
        Collar {
            rng,
            f_cnt,
            charge,
            last_fix_ms: None,
        }
    }

    /// The uplink for one fix; fixes come in time order.
    pub fn read(&mut self, sample: &Sample, home: &Home) -> Reading {
        let (since_last, battery) = self.wake(sample);

        let error = if sample.moving {
            GPS_ERROR_MOVING_M
        } else {
            GPS_ERROR_STILL_M
        };
        let seen = sample.at + Offset::new(self.rng.normal(), self.rng.normal()) * error;
        let bad = self.rng.chance(BAD_FIX_RATE).then(|| self.bad_kind());
        let (latitude, longitude) = match bad {
            None => home.locate(seen),
            Some(BadFix::NoFix) => (NO_FIX_DEGREES, NO_FIX_DEGREES),
            Some(BadFix::NullIsland) => (0.0, 0.0),
            Some(BadFix::Jump) => {
                let metres = since_last as f64 / 1000.0 * CAT_SPRINT_MPS * self.rng.range(2.0, 4.0);
                home.locate(seen + Offset::toward(self.rng.direction(), metres + 1_000.0))
            }
        };

        self.report(sample, (latitude, longitude), battery, bad)
    }

    /// The uplink for a recorded point, replayed where and when it was:
    /// no GPS error added, no bad fix made up.
    pub fn replay(&mut self, sample: &Sample, position: (f64, f64)) -> Reading {
        let (_, battery) = self.wake(sample);
        self.report(sample, position, battery, None)
    }

    /// The collar wakes for a fix: its frame counter moves on and its
    /// battery drains. Returns the milliseconds since the last fix and the
    /// battery's reading.
    fn wake(&mut self, sample: &Sample) -> (i64, f64) {
        let since_last = sample.time_ms
            - self
                .last_fix_ms
                .unwrap_or(sample.time_ms - STILL_INTERVAL_MS);
        self.last_fix_ms = Some(sample.time_ms);
        self.f_cnt = self.f_cnt.wrapping_add(1);
        (since_last, self.battery(since_last))
    }

    /// What the collar sends and the network adds, for a fix at `position`.
    fn report(
        &mut self,
        sample: &Sample,
        (latitude, longitude): (f64, f64),
        battery: f64,
        bad: Option<BadFix>,
    ) -> Reading {
        let tilt = if sample.moving { 15.0 } else { 3.0 };
        let (roll, pitch) = (self.rng.normal() * tilt, self.rng.normal() * tilt);
        let (rssi, snr) = self.radio(sample.at.length());
        let gateway_ms = sample.time_ms + (self.rng.range(0.8, 3.0) * 1000.0) as i64;
        let network_ms = gateway_ms + (self.rng.range(15.0, 60.0)) as i64;
        let received_ms = network_ms + (self.rng.range(2.0, 20.0)) as i64;
        let frequency = CHANNELS_HZ[self.rng.below(CHANNELS_HZ.len())];

        Reading {
            fix_ms: sample.time_ms,
            gateway_ms,
            network_ms,
            received_ms,
            f_cnt: self.f_cnt,
            latitude: round_to(latitude, 1e6),
            longitude: round_to(longitude, 1e6),
            battery: round_to(battery, 1e3),
            roll: round_to(roll, 1e2),
            pitch: round_to(pitch, 1e2),
            rssi,
            snr,
            spreading_factor: spreading_factor(rssi),
            frequency,
            moving: sample.moving,
            truth: sample.at,
            bad,
        }
    }

    fn bad_kind(&mut self) -> BadFix {
        let weights: Vec<f64> = BAD_FIX_KINDS.iter().map(|(_, w)| *w).collect();
        BAD_FIX_KINDS[self.rng.pick(&weights)].0
    }

    /// The battery's reading after `since_last` ms and one more fix.
    fn battery(&mut self, since_last: i64) -> f64 {
        let days = since_last as f64 / 86_400_000.0;
        self.charge -= DRAIN_PER_DAY_V * days + DRAIN_PER_FIX_V;
        if self.charge < RECHARGE_AT_V {
            self.charge = BATTERY_CHARGED_V + self.rng.range(-0.02, 0.02);
        }
        self.charge + self.rng.range(-BATTERY_NOISE_V, BATTERY_NOISE_V)
    }

    /// RSSI and SNR at the gateway in the house, `metres` away: about
    /// -62 dBm and 9.5 dB beside it, -110 dBm and -2.5 dB 400 m off through
    /// walls and gardens, with fading.
    fn radio(&mut self, metres: f64) -> (i32, f64) {
        let rssi = (-62.0 - 0.12 * metres + 3.0 * self.rng.normal()).clamp(-130.0, -30.0);
        let snr = (9.5 - 0.03 * metres + 1.2 * self.rng.normal()).clamp(-20.0, 13.5);
        (rssi.round() as i32, round_to(snr, 4.0))
    }
}

/// What adaptive data rate settles on for a link this strong.
fn spreading_factor(rssi: i32) -> u8 {
    match rssi {
        r if r > -95 => 7,
        r if r > -105 => 8,
        r if r > -115 => 9,
        _ => 10,
    }
}

/// `value` rounded to the nearest 1/`per`; exact operations only.
fn round_to(value: f64, per: f64) -> f64 {
    (value * per).round() / per
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(time_ms: i64, moving: bool) -> Sample {
        Sample {
            time_ms,
            at: Offset::new(30.0, -20.0),
            moving,
        }
    }

    #[test]
    fn frame_counters_count_up_and_times_follow_the_fix() {
        let home = Home::new(52.37, 4.89).unwrap();
        let mut collar = Collar::new(Rng::new(1));
        let first = collar.read(&sample(0, false), &home);
        let second = collar.read(&sample(300_000, true), &home);
        assert_eq!(second.f_cnt, first.f_cnt + 1);
        for r in [&first, &second] {
            assert!(r.fix_ms < r.gateway_ms && r.gateway_ms < r.network_ms);
            assert!(r.network_ms < r.received_ms);
            assert!(r.received_ms - r.fix_ms < 4_000);
        }
    }

    #[test]
    fn a_weak_link_uses_a_slower_data_rate() {
        assert_eq!(spreading_factor(-80), 7);
        assert_eq!(spreading_factor(-100), 8);
        assert_eq!(spreading_factor(-112), 9);
        assert_eq!(spreading_factor(-121), 10);
    }

    #[test]
    fn the_battery_is_recharged_when_low() {
        let mut collar = Collar::new(Rng::new(2));
        collar.charge = RECHARGE_AT_V + 0.000_01;
        let volts = collar.battery(STILL_INTERVAL_MS);
        assert!(volts > 3.9, "{volts}");
    }
}
