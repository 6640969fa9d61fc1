//! The generator's promises: reproducible from the seed, an LGT-92's
//! cadence, a small known share of bad fixes, a draining battery, cats that
//! stay near home, and uplinks the default rule stores.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::*;
use crate::iotsql::{self, AttributeValue, Context};
use crate::rule::{self, Verdict};

const FLEET: &str = "\
stack: backyard-cats
timezone: Europe/Amsterdam
ttn:
  application: backyard-cats
table:
  retention_days: 365
cats:
  - name: Snowy
    device: snowy-lgt92
    dev_eui: 70B3D57ED005A1B2
  - name: Tiger
    device: tiger-lgt92
    dev_eui: 70B3D57ED005A1C7
  - name: Misty
    device: misty-lgt92
    dev_eui: 70B3D57ED005A2F0
";

fn fleet() -> Fleet {
    crate::fleetfile::from_str(FLEET, "fleet.yaml".as_ref()).expect("a valid fleet")
}

fn plan<'a>(fleet: &'a Fleet, start: &str, days: u32, seed: u64) -> Plan<'a> {
    let tz = TimeZone::get("Europe/Amsterdam").unwrap();
    let start: Date = start.parse().unwrap();
    let (from, to) = local_days(start, days, &tz).unwrap();
    Plan {
        fleet,
        cats: fleet.cats.iter().collect(),
        home: Home::new(DEFAULT_HOME.0, DEFAULT_HOME.1).unwrap(),
        from,
        to,
        tz,
        seed,
        replay: None,
    }
}

fn lines(plan: &Plan<'_>, uplinks: &[Uplink]) -> Vec<String> {
    uplinks.iter().map(|u| plan.json(u).to_string()).collect()
}

fn per_cat(uplinks: &[Uplink], cat: usize) -> Vec<&Reading> {
    uplinks
        .iter()
        .filter(|u| u.cat == cat)
        .map(|u| &u.reading)
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_uplinks() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-12-01", 2, 1);
    assert_eq!(
        lines(&plan, &plan.generate()),
        lines(&plan, &plan.generate())
    );
}

#[test]
fn another_seed_gives_other_uplinks() {
    let fleet = fleet();
    let one = plan(&fleet, "2026-12-01", 1, 1);
    let two = plan(&fleet, "2026-12-01", 1, 2);
    let (a, b) = (one.generate(), two.generate());
    assert_ne!(lines(&one, &a), lines(&two, &b));
    // Not one good fix of Snowy is at the same place under both seeds.
    let good = |uplinks: &[Uplink]| -> Vec<(f64, f64)> {
        per_cat(uplinks, 0)
            .iter()
            .filter(|r| r.bad.is_none())
            .map(|r| (r.latitude, r.longitude))
            .collect()
    };
    let other = good(&b);
    assert!(good(&a).iter().all(|p| !other.contains(p)));
}

/// A cat's uplinks depend on the seed and her device, not on which other
/// cats are simulated beside her.
#[test]
fn a_cat_is_the_same_alone_or_with_others() {
    let fleet = fleet();
    let all = plan(&fleet, "2026-12-01", 1, 7);
    let mut tiger = plan(&fleet, "2026-12-01", 1, 7);
    tiger.cats = vec![fleet.cat("tiger").unwrap()];
    let together: Vec<String> = all
        .generate()
        .iter()
        .filter(|u| u.cat == 1)
        .map(|u| all.json(u).to_string())
        .collect();
    assert_eq!(together, lines(&tiger, &tiger.generate()));
}

/// What the generator gives for the sample's cats on 2026-12-01 with seed
/// 1, as a digest of every uplink's text. It pins the output across
/// machines and builds; a deliberate change to the generator changes it,
/// and then this digest is updated with the change.
#[test]
fn seed_one_gives_these_uplinks_everywhere() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-12-01", 1, 1);
    let uplinks = plan.generate();
    let digest = lines(&plan, &uplinks)
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, line| {
            line.bytes().chain([b'\n']).fold(h, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
            })
        });
    assert_eq!(
        (uplinks.len(), format!("{digest:016x}")),
        (282, "b67e66ea5e844179".to_string())
    );
}

#[test]
fn uplinks_come_in_time_order_within_the_days() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-12-01", 3, 1);
    let uplinks = plan.generate();
    assert!(
        uplinks
            .windows(2)
            .all(|w| w[0].reading.received_ms <= w[1].reading.received_ms)
    );
    let (from, to) = (plan.from.as_millisecond(), plan.to.as_millisecond());
    assert!(
        uplinks
            .iter()
            .all(|u| (from..to).contains(&u.reading.fix_ms))
    );
    for cat in 0..3 {
        let readings = per_cat(&uplinks, cat);
        assert!(readings.len() > 3 * 40, "{} uplinks", readings.len());
        assert!(readings.windows(2).all(|w| w[1].f_cnt == w[0].f_cnt + 1));
    }
}

/// The days are local: 2026-03-29 has 23 hours in Amsterdam, and the
/// cats keep the local clock's hours.
#[test]
fn a_day_the_clocks_change_has_23_hours() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-03-29", 1, 1);
    assert_eq!((plan.to - plan.from).as_hours(), 23);
    let uplinks = plan.generate();
    let (from, to) = (plan.from.as_millisecond(), plan.to.as_millisecond());
    assert!(
        uplinks
            .iter()
            .all(|u| (from..to).contains(&u.reading.fix_ms))
    );
}

/// An LGT-92 in motion mode: every five minutes while she moves (the fix
/// after the last move finds her settled), every hour while still, and a
/// fix the moment she moves again.
#[test]
fn fixes_come_every_5_minutes_moving_and_hourly_still() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-12-01", 7, 1);
    let uplinks = plan.generate();
    let (mut moving, mut still) = (0, 0);
    for cat in 0..3 {
        for w in per_cat(&uplinks, cat).windows(2) {
            let gap = w[1].fix_ms - w[0].fix_ms;
            match (w[0].moving, w[1].moving) {
                (true, _) => {
                    assert_eq!(gap, MOVING_INTERVAL_MS, "{:?}", w);
                    moving += 1;
                }
                (false, false) => {
                    assert_eq!(gap, STILL_INTERVAL_MS, "{:?}", w);
                    still += 1;
                }
                (false, true) => assert!(gap < STILL_INTERVAL_MS + 60_000, "{gap}"),
            }
            // What TTN saw keeps the cadence within the few seconds a
            // fix and its airtime take.
            let seen = w[1].received_ms - w[0].received_ms;
            assert!((seen - gap).abs() < 4_000, "{seen} vs {gap}");
        }
    }
    assert!(moving > 3 * 7 * 30, "{moving} moving intervals");
    assert!(still > 3 * 7 * 5, "{still} still intervals");
}

#[test]
fn about_one_fix_in_fifty_is_bad_and_each_kind_looks_right() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-11-01", 30, 3);
    let uplinks = plan.generate();
    let bad: Vec<&Reading> = uplinks
        .iter()
        .map(|u| &u.reading)
        .filter(|r| r.bad.is_some())
        .collect();
    let rate = bad.len() as f64 / uplinks.len() as f64;
    assert!(
        (rate - BAD_FIX_RATE).abs() < 0.005,
        "{rate} of {}",
        uplinks.len()
    );

    let home = plan.home;
    for kind in [BadFix::NoFix, BadFix::NullIsland, BadFix::Jump] {
        assert!(bad.iter().any(|r| r.bad == Some(kind)), "no {kind:?}");
    }
    for r in bad {
        match r.bad {
            Some(BadFix::NoFix) => {
                assert_eq!((r.latitude, r.longitude), (NO_FIX_DEGREES, NO_FIX_DEGREES))
            }
            Some(BadFix::NullIsland) => assert_eq!((r.latitude, r.longitude), (0.0, 0.0)),
            _ => assert!(home.offset_of(r.latitude, r.longitude).length() > 5_000.0),
        }
    }
}

/// 4.0 V to about 3.9 V in a week, never rising but for a few millivolts
/// of noise.
#[test]
fn the_battery_drains_slowly_and_steadily() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-12-01", 7, 1);
    let uplinks = plan.generate();
    for cat in 0..3 {
        let volts: Vec<f64> = per_cat(&uplinks, cat).iter().map(|r| r.battery).collect();
        let mut lowest = f64::MAX;
        for v in &volts {
            assert!(
                *v <= lowest + 2.0 * collar::BATTERY_NOISE_V + 0.000_5,
                "{v} after {lowest}"
            );
            lowest = lowest.min(*v);
        }
        let first = volts[..10].iter().sum::<f64>() / 10.0;
        let last = volts[volts.len() - 10..].iter().sum::<f64>() / 10.0;
        assert!((3.97..=4.03).contains(&first), "{first}");
        assert!((0.07..=0.13).contains(&(first - last)), "{first} -> {last}");
    }
}

/// Every good fix is within a cat's range of home: her farthest haunt,
/// the prowl around it, and GPS error.
#[test]
fn good_fixes_stay_near_home() {
    let fleet = fleet();
    for seed in 1..=5 {
        let plan = plan(&fleet, "2026-12-01", 7, seed);
        let farthest = plan
            .generate()
            .iter()
            .filter(|u| u.reading.bad.is_none())
            .map(|u| {
                let r = &u.reading;
                plan.home.offset_of(r.latitude, r.longitude).length()
            })
            .fold(0.0, f64::max);
        assert!(
            farthest < 500.0,
            "seed {seed}: a fix {farthest:.0} m from home"
        );
        assert!(
            farthest > 100.0,
            "seed {seed}: no outing went beyond {farthest:.0} m"
        );
    }
}

/// The fleet's default rule stores every simulated uplink, keyed by the
/// device and the second TTN received it, with what the collar reported.
#[test]
fn the_default_rule_writes_an_item_for_every_uplink() {
    let fleet = fleet();
    let statement = iotsql::parse(&fleet.rule.sql).unwrap();
    let plan = plan(&fleet, "2026-12-01", 1, 1);
    for uplink in plan.generate() {
        let ctx = Context::new(&plan.topic(&uplink), uplink.reading.received_ms);
        let verdict = rule::judge(&statement, &plan.json(&uplink), &ctx).unwrap();
        let Verdict::Written(item) = verdict else {
            panic!("{:?}", verdict.reason());
        };
        let r = &uplink.reading;
        let device = &plan.cats[uplink.cat].device;
        assert_eq!(item["device_id"], AttributeValue::S(device.clone()));
        let second = r.received_ms / 1000 * 1000;
        assert_eq!(item["time"], AttributeValue::N(second.to_string()));
        assert_eq!(item["latitude"], AttributeValue::N(r.latitude.to_string()));
        assert_eq!(item["battery"], AttributeValue::N(r.battery.to_string()));
        assert_eq!(item["f_cnt"], AttributeValue::N(r.f_cnt.to_string()));
        assert!(item.contains_key("expires_at"));
    }
}

#[test]
fn uplinks_have_the_ttn_v3_shape() {
    let fleet = fleet();
    let plan = plan(&fleet, "2026-12-01", 1, 1);
    let uplinks = plan.generate();
    let json = plan.json(&uplinks[0]);
    let received: jiff::Timestamp = json["received_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(received.as_millisecond(), uplinks[0].reading.received_ms);
    assert_eq!(
        json["end_device_ids"]["application_ids"]["application_id"],
        "backyard-cats"
    );
    let message = &json["uplink_message"];
    assert!(message["f_cnt"].is_u64());
    for field in ["Latitude", "Longitude", "BatV"] {
        assert!(message["decoded_payload"][field].is_f64(), "{field}");
    }
    assert_eq!(message["decoded_payload"]["ALARM_status"], "FALSE");
    assert_eq!(message["decoded_payload"]["MD"], "Move");
    assert!(message["rx_metadata"][0]["rssi"].is_i64());
    assert!(message["rx_metadata"][0]["snr"].is_f64());
    assert_eq!(json["simulated"], true);
    assert_eq!(
        plan.topic(&uplinks[0]),
        format!(
            "backyard-cats/devices/{}/up",
            plan.cats[uplinks[0].cat].device
        )
    );
}
