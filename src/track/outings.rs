//! Outings: one cat's fixes told as a timeline of stops, where she stayed,
//! and trips, how she got from one stop to the next.
//!
//! Stops are found with the stay-point method of Li, Zheng et al. (2008),
//! "Mining user similarity based on location history", from Microsoft's
//! GeoLife work: a stay is a maximal run of consecutive fixes lasting at
//! least a minimum time, each fix within a radius of the run before it.
//! The paper measures each fix from the run's first; fleet measures from
//! the centroid of the run so far, which one fix tens of metres off does
//! not drag along. The fixes between two stays are a trip; a stretch
//! without fixes longer than the longest silence a working tracker keeps
//! ends a trip, as nobody knows where she went meanwhile.
//!
//! A stay may span such a silence when the fixes on both sides of it are
//! at the same place: a sleeping cat's hourly uplinks get lost on the radio
//! too, and splitting her night in two for it would tell nothing new.

use std::borrow::Cow;

use jiff::{SignedDuration, Timestamp};

use super::fix::{Fix, haversine};

/// The thresholds of the stay-point method. The defaults suit a cat
/// wearing an LGT-92 that reports every 5 minutes while it moves and
/// hourly while it is still.
#[derive(Debug, Clone, PartialEq)]
pub struct OutingParams {
    /// How far, in metres, a fix may lie from the centroid of a stay. The
    /// default, 50 m, holds in one stop the fixes of a cat asleep indoors
    /// or under a roof, which scatter by tens of metres, yet is small
    /// beside the ground a pet cat covers (a median of 3.6 hectares, about
    /// 100 m around home, in Kays et al. 2020), so the far end of the
    /// garden and the neighbour's are stops of their own.
    pub radius_m: f64,
    /// How long a run of fixes must last to be a stop. The default, 10
    /// minutes, takes three fixes at the moving rate: a pause to sniff or
    /// to cross a road stays part of the trip, and a cat lying in wait or
    /// dozing in the sun becomes a stop.
    pub min_stay: SignedDuration,
    /// The longest time between two fixes that a trip runs through. The
    /// default, 90 minutes, is the hourly still interval with room for a
    /// late uplink; a moving tracker that says nothing for that long has
    /// missed some 17 fixes, and the trip is not known.
    pub max_gap: SignedDuration,
}

impl Default for OutingParams {
    fn default() -> OutingParams {
        OutingParams {
            radius_m: 50.0,
            min_stay: SignedDuration::from_mins(10),
            max_gap: SignedDuration::from_mins(90),
        }
    }
}

/// Where the cat stayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// The time of the stop's first fix.
    pub start: Timestamp,
    /// The time of the stop's last fix.
    pub end: Timestamp,
    /// The centroid of the stop's fixes, in degrees.
    pub latitude: f64,
    pub longitude: f64,
    /// Metres from the centroid to the farthest of the stop's fixes.
    pub radius_m: f64,
    pub fixes: Vec<Fix>,
}

/// An outing: how the cat got from one stop to the next.
///
/// Its fixes begin with the last fix of the stop it leaves and end with
/// the first fix of the stop it reaches, when those are not across a gap,
/// so that a map draws the path joined to both places and the distance
/// counts the way out and the way in.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The sum of the great-circle distances between consecutive fixes, in
    /// metres: the least she walked, since she did not go straight.
    pub distance_m: f64,
    pub fixes: Vec<Fix>,
}

/// A silence longer than [`OutingParams::max_gap`] outside a stop: from
/// the fix before it to the fix after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// One part of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Stop(Stop),
    Trip(Trip),
    Gap(Gap),
}

impl Segment {
    pub fn start(&self) -> Timestamp {
        match self {
            Segment::Stop(stop) => stop.start,
            Segment::Trip(trip) => trip.start,
            Segment::Gap(gap) => gap.start,
        }
    }

    pub fn end(&self) -> Timestamp {
        match self {
            Segment::Stop(stop) => stop.end,
            Segment::Trip(trip) => trip.end,
            Segment::Gap(gap) => gap.end,
        }
    }

    pub fn duration(&self) -> SignedDuration {
        self.end().duration_since(self.start())
    }
}

impl Stop {
    pub fn duration(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }
}

impl Trip {
    pub fn duration(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }
}

impl Gap {
    pub fn duration(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }
}

/// A cat's fixes as stops, trips and gaps, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub segments: Vec<Segment>,
}

impl Timeline {
    pub fn stops(&self) -> impl Iterator<Item = &Stop> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Stop(stop) => Some(stop),
            _ => None,
        })
    }

    pub fn trips(&self) -> impl Iterator<Item = &Trip> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Trip(trip) => Some(trip),
            _ => None,
        })
    }

    pub fn gaps(&self) -> impl Iterator<Item = &Gap> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Gap(gap) => Some(gap),
            _ => None,
        })
    }
}

/// Splits one cat's fixes, cleaned (see [`super::fix::clean`]), into
/// stops, trips and gaps. Fixes out of time order are sorted first.
///
/// A fix on its own between two gaps is a trip of that one fix: it says
/// where she was once, which a map should still show.
pub fn split(fixes: &[Fix], params: &OutingParams) -> Timeline {
    let fixes: Cow<[Fix]> = if fixes.is_sorted_by_key(|fix| fix.time) {
        Cow::Borrowed(fixes)
    } else {
        let mut sorted = fixes.to_vec();
        sorted.sort_by_key(|fix| fix.time);
        Cow::Owned(sorted)
    };

    let mut timeline = Timeline::default();
    // The first fix not yet in a segment, or the last fix of the stop
    // before it, which the next trip leaves from.
    let mut from = 0;
    let mut after_stop = false;
    for stay in stays(&fixes, params) {
        let way = &fixes[from..=stay.start];
        timeline.add_ways(way, after_stop, true, params);
        timeline
            .segments
            .extend(stop(&fixes[stay.clone()]).map(Segment::Stop));
        from = stay.end - 1;
        after_stop = true;
    }
    if let Some(way) = fixes.get(from..).filter(|way| !way.is_empty()) {
        timeline.add_ways(way, after_stop, false, params);
    }
    timeline
}

impl Timeline {
    /// Adds the trips and gaps of the fixes between two stops. `way`
    /// begins with the last fix of the stop before when `after_stop`, and
    /// ends with the first fix of the stop after when `before_stop`.
    fn add_ways(
        &mut self,
        way: &[Fix],
        after_stop: bool,
        before_stop: bool,
        params: &OutingParams,
    ) {
        let pieces: Vec<&[Fix]> = way
            .chunk_by(|a, b| b.time.duration_since(a.time) <= params.max_gap)
            .collect();

        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                self.add_gap(pieces[i - 1], piece);
            }
            // A stop's own fix cut off by a gap is no trip.
            let lone_stop_fix = piece.len() == 1
                && ((i == 0 && after_stop) || (i == pieces.len() - 1 && before_stop));
            if !lone_stop_fix {
                self.segments.extend(trip(piece).map(Segment::Trip));
            }
        }
    }

    fn add_gap(&mut self, before: &[Fix], after: &[Fix]) {
        if let (Some(last), Some(first)) = (before.last(), after.first()) {
            let gap = Gap {
                start: last.time,
                end: first.time,
            };
            self.segments.push(Segment::Gap(gap));
        }
    }
}

/// The stays, as ranges of indices into `fixes`, in time order.
fn stays(fixes: &[Fix], params: &OutingParams) -> Vec<std::ops::Range<usize>> {
    let mut stays = Vec::new();
    let mut start = 0;
    while start < fixes.len() {
        let end = run_end(fixes, start, params.radius_m);
        let lasted = fixes[end - 1].time.duration_since(fixes[start].time);
        if lasted >= params.min_stay {
            stays.push(start..end);
            start = end;
        } else {
            start += 1;
        }
    }
    stays
}

/// The end (exclusive) of the longest run from `start` in which each fix
/// lies within `radius` metres of the centroid of the fixes before it.
fn run_end(fixes: &[Fix], start: usize, radius: f64) -> usize {
    let mut centroid = Centroid::default();
    centroid.add(&fixes[start]);
    let mut end = start + 1;
    while let Some(fix) = fixes.get(end)
        && haversine(centroid.position(), fix.position()) <= radius
    {
        centroid.add(fix);
        end += 1;
    }
    end
}

/// A stop at `fixes`; `None` when there are none.
fn stop(fixes: &[Fix]) -> Option<Stop> {
    let mut centroid = Centroid::default();
    for fix in fixes {
        centroid.add(fix);
    }
    let (latitude, longitude) = centroid.position();
    let radius_m = fixes
        .iter()
        .map(|fix| haversine((latitude, longitude), fix.position()))
        .fold(0.0, f64::max);
    Some(Stop {
        start: fixes.first()?.time,
        end: fixes.last()?.time,
        latitude,
        longitude,
        radius_m,
        fixes: fixes.to_vec(),
    })
}

/// A trip along `fixes`; `None` when there are none.
fn trip(fixes: &[Fix]) -> Option<Trip> {
    Some(Trip {
        start: fixes.first()?.time,
        end: fixes.last()?.time,
        distance_m: fixes.windows(2).map(|w| w[0].distance_to(&w[1])).sum(),
        fixes: fixes.to_vec(),
    })
}

/// The centroid of points on the sphere: the direction of the sum of their
/// unit vectors. Unlike the mean of the degrees, it stays right across the
/// 180th meridian and near the poles.
#[derive(Debug, Default)]
struct Centroid {
    x: f64,
    y: f64,
    z: f64,
}

impl Centroid {
    fn add(&mut self, fix: &Fix) {
        let (lat, lon) = (fix.latitude.to_radians(), fix.longitude.to_radians());
        self.x += lat.cos() * lon.cos();
        self.y += lat.cos() * lon.sin();
        self.z += lat.sin();
    }

    /// (latitude, longitude) in degrees.
    fn position(&self) -> (f64, f64) {
        let latitude = self.z.atan2(self.x.hypot(self.y));
        let longitude = self.y.atan2(self.x);
        (latitude.to_degrees(), longitude.to_degrees())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::testing::{HOME, fix, minute, moved};

    /// Where Snowy goes: the far end of the garden, then the neighbour's.
    fn garden() -> (f64, f64) {
        moved(HOME, 0.0, 240.0)
    }

    fn neighbour() -> (f64, f64) {
        moved(garden(), 400.0, 0.0)
    }

    /// A few metres of GPS error, different for each fix.
    const JITTER: [(f64, f64); 5] = [
        (4.0, -3.0),
        (-5.0, 2.0),
        (2.0, 5.0),
        (-3.0, -4.0),
        (1.0, 1.0),
    ];

    /// A day of fixes, built in time order.
    #[derive(Default)]
    struct Day {
        fixes: Vec<Fix>,
    }

    impl Day {
        fn at(mut self, at: i64, place: (f64, f64)) -> Day {
            let (north, east) = JITTER[self.fixes.len() % JITTER.len()];
            self.fixes
                .push(fix("snowy-lgt92", at, moved(place, north, east)));
            self
        }

        /// Still at `place` from minute `from` to `to`, a fix every `every`.
        fn stay(self, place: (f64, f64), from: i64, to: i64, every: i64) -> Day {
            (from..=to)
                .step_by(every as usize)
                .fold(self, |day, at| day.at(at, place))
        }

        /// Walking in a straight line from `a`, left at minute `from`, to
        /// `b`, reached at `to`: the 5-minute fixes in between.
        fn walk(self, a: (f64, f64), b: (f64, f64), from: i64, to: i64) -> Day {
            (from + 5..to).step_by(5).fold(self, |day, at| {
                let share = (at - from) as f64 / (to - from) as f64;
                let place = (a.0 + (b.0 - a.0) * share, a.1 + (b.1 - a.1) * share);
                day.at(at, place)
            })
        }
    }

    /// Asleep at home, out to the garden, over to the neighbour's for the
    /// morning, home for the rest of the day.
    fn snowys_day() -> Vec<Fix> {
        Day::default()
            .stay(HOME, 0, 420, 60)
            .walk(HOME, garden(), 420, 440)
            .stay(garden(), 440, 520, 20)
            .walk(garden(), neighbour(), 520, 545)
            .stay(neighbour(), 545, 725, 60)
            .walk(neighbour(), HOME, 725, 750)
            .stay(HOME, 750, 1410, 60)
            .fixes
    }

    fn split_default(fixes: &[Fix]) -> Timeline {
        split(fixes, &OutingParams::default())
    }

    /// The timeline in short: `S` stop, `T` trip, `G` gap.
    fn shape(timeline: &Timeline) -> String {
        let letter = |segment: &Segment| match segment {
            Segment::Stop(_) => 'S',
            Segment::Trip(_) => 'T',
            Segment::Gap(_) => 'G',
        };
        timeline.segments.iter().map(letter).collect()
    }

    fn assert_near(what: &str, (latitude, longitude): (f64, f64), place: (f64, f64), metres: f64) {
        let off = haversine((latitude, longitude), place);
        assert!(off < metres, "{what} is {off:.1} m from where it should be");
    }

    #[test]
    fn tells_a_day_at_home_the_garden_and_the_neighbours() {
        let timeline = split_default(&snowys_day());
        assert_eq!(shape(&timeline), "STSTSTS");

        let stops: Vec<&Stop> = timeline.stops().collect();
        let expected = [
            ("home", HOME, 0, 420),
            ("garden", garden(), 440, 520),
            ("neighbour", neighbour(), 545, 725),
            ("home again", HOME, 750, 1410),
        ];
        for (stop, (name, place, start, end)) in stops.iter().zip(expected) {
            assert_near(name, (stop.latitude, stop.longitude), place, 5.0);
            assert_eq!(
                (stop.start, stop.end),
                (minute(start), minute(end)),
                "{name}"
            );
            assert!(stop.radius_m < 10.0, "{name}: {}", stop.radius_m);
        }
        assert_eq!(stops[0].duration(), SignedDuration::from_hours(7));

        let trips: Vec<&Trip> = timeline.trips().collect();
        let expected = [(420, 440, 240.0), (520, 545, 400.0), (725, 750, 466.5)];
        for (trip, (start, end, metres)) in trips.iter().zip(expected) {
            assert_eq!((trip.start, trip.end), (minute(start), minute(end)));
            assert!(
                (trip.distance_m - metres).abs() < 15.0,
                "{} m",
                trip.distance_m
            );
        }
        assert_eq!(trips[1].duration(), SignedDuration::from_mins(25));
        assert_eq!(
            trips[1].fixes.len(),
            6,
            "the garden's last fix, 4 on the way, the next stop's"
        );
        assert_eq!(trips[0].fixes.first(), stops[0].fixes.last());
        assert_eq!(trips[0].fixes.last(), stops[1].fixes.first());
    }

    #[test]
    fn the_segments_follow_each_other_without_holes() {
        let timeline = split_default(&snowys_day());
        for pair in timeline.segments.windows(2) {
            assert_eq!(pair[0].end(), pair[1].start());
        }
        let day = timeline.segments.first().unwrap().start();
        assert_eq!(day, minute(0));
        assert_eq!(timeline.segments.last().unwrap().end(), minute(1410));
    }

    #[test]
    fn a_gap_ends_a_trip() {
        let far = moved(HOME, 0.0, 1_000.0);
        let farther = moved(far, 1_000.0, 0.0);
        let fixes = Day::default()
            .stay(HOME, 0, 480, 60)
            .walk(HOME, far, 480, 540)
            .walk(far, farther, 715, 775)
            .stay(farther, 775, 955, 60)
            .fixes;
        let timeline = split_default(&fixes);

        assert_eq!(shape(&timeline), "STGTS");
        let gap = timeline.gaps().next().unwrap();
        assert_eq!((gap.start, gap.end), (minute(535), minute(720)));
        assert_eq!(gap.duration(), SignedDuration::from_mins(185));
        let trips: Vec<&Trip> = timeline.trips().collect();
        assert_eq!((trips[0].start, trips[0].end), (minute(480), minute(535)));
        assert_eq!((trips[1].start, trips[1].end), (minute(720), minute(775)));
    }

    #[test]
    fn a_gap_between_two_stops_is_no_trip() {
        let shed = moved(HOME, 200.0, 0.0);
        let fixes = Day::default()
            .stay(HOME, 0, 120, 60)
            .stay(shed, 300, 420, 60)
            .fixes;
        let timeline = split_default(&fixes);
        assert_eq!(shape(&timeline), "SGS");
        let gap = timeline.gaps().next().unwrap();
        assert_eq!((gap.start, gap.end), (minute(120), minute(300)));
    }

    #[test]
    fn a_move_between_two_stops_without_fixes_is_a_short_trip() {
        let shed = moved(HOME, 200.0, 0.0);
        let fixes = Day::default()
            .stay(HOME, 0, 120, 60)
            .stay(shed, 125, 245, 60)
            .fixes;
        let timeline = split_default(&fixes);
        assert_eq!(shape(&timeline), "STS");
        let trip = timeline.trips().next().unwrap();
        assert_eq!(trip.fixes.len(), 2);
        assert!(
            (trip.distance_m - 200.0).abs() < 15.0,
            "{}",
            trip.distance_m
        );
    }

    #[test]
    fn a_day_without_movement_is_one_stop() {
        let fixes = Day::default().stay(HOME, 0, 1380, 60).fixes;
        let timeline = split_default(&fixes);
        assert_eq!(shape(&timeline), "S");
        let stop = timeline.stops().next().unwrap();
        assert_eq!((stop.start, stop.end), (minute(0), minute(1380)));
        assert_eq!(stop.fixes.len(), 24);
        assert_near("home", (stop.latitude, stop.longitude), HOME, 2.0);
    }

    #[test]
    fn a_stop_runs_through_lost_uplinks() {
        let fixes: Vec<Fix> = Day::default()
            .stay(HOME, 0, 1380, 60)
            .fixes
            .into_iter()
            .filter(|fix| !(minute(180)..=minute(300)).contains(&fix.time))
            .collect();
        let timeline = split_default(&fixes);
        assert_eq!(shape(&timeline), "S");
        assert_eq!(
            timeline.segments[0].duration(),
            SignedDuration::from_hours(23)
        );
    }

    #[test]
    fn a_pause_shorter_than_a_stay_is_part_of_the_trip() {
        let fixes = Day::default()
            .at(0, HOME)
            .at(5, moved(HOME, 0.0, 100.0))
            .at(10, moved(HOME, 0.0, 100.0))
            .at(15, moved(HOME, 0.0, 200.0))
            .at(20, moved(HOME, 0.0, 300.0))
            .fixes;
        let timeline = split_default(&fixes);
        assert_eq!(shape(&timeline), "T");
        assert_eq!(
            timeline.segments[0].duration(),
            SignedDuration::from_mins(20)
        );
    }

    #[test]
    fn a_single_fix_is_a_trip_of_one_fix() {
        let timeline = split_default(&[fix("snowy-lgt92", 30, HOME)]);
        assert_eq!(shape(&timeline), "T");
        let trip = timeline.trips().next().unwrap();
        assert_eq!(
            (trip.start, trip.end, trip.distance_m),
            (minute(30), minute(30), 0.0)
        );
        assert_eq!(trip.fixes.len(), 1);
    }

    #[test]
    fn no_fixes_make_an_empty_timeline() {
        assert_eq!(split_default(&[]), Timeline::default());
    }

    #[test]
    fn fixes_out_of_order_are_sorted_first() {
        let mut fixes = snowys_day();
        let in_order = split_default(&fixes);
        fixes.reverse();
        assert_eq!(split_default(&fixes), in_order);
    }

    #[test]
    fn longer_minimum_stay_makes_the_garden_part_of_the_trip() {
        let params = OutingParams {
            min_stay: SignedDuration::from_hours(2),
            ..OutingParams::default()
        };
        let timeline = split(&snowys_day(), &params);
        assert_eq!(shape(&timeline), "STSTS");
        let first = timeline.trips().next().unwrap();
        assert_eq!((first.start, first.end), (minute(420), minute(545)));
        assert!(
            (first.distance_m - 640.0).abs() < 30.0,
            "{}",
            first.distance_m
        );
    }

    #[test]
    fn a_stop_across_the_180th_meridian_is_centred_on_it() {
        let fixes = Day::default()
            .stay((-16.5, 179.9999), 0, 60, 20)
            .stay((-16.5, -179.9999), 80, 120, 20)
            .fixes;
        let timeline = split_default(&fixes);
        assert_eq!(shape(&timeline), "S");
        let stop = timeline.stops().next().unwrap();
        assert!(stop.longitude.abs() > 179.999, "{}", stop.longitude);
    }
}
