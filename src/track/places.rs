//! Places: where a cat spends her time, found by clustering her fixes, and
//! ranked so that the first place answers "where does she sleep?".
//!
//! Clustering is DBSCAN on great-circle distance. People asked this
//! question in notebooks with scikit-learn's
//! `DBSCAN(eps, min_samples, metric="haversine", algorithm="ball_tree")`
//! before fleet, so [`dbscan`] gives the labels scikit-learn gives on the
//! same points, number for number, and the test suite checks it does
//! (`tests/it/places.rs`, against scikit-learn 1.9.1). What that takes:
//!
//! - **Distance.** Degrees to radians by the multiplication numpy's
//!   `radians` does, scikit-learn's haversine formula with its operations
//!   in its order, and the comparison its ball tree makes at a leaf:
//!   `sin²(d/2) <= sin²(eps/2)`, a neighbour at exactly the radius
//!   included. Its tree also takes or drops whole nodes by the triangle
//!   inequality; that can decide differently only for a pair within a
//!   rounding error of exactly the radius.
//! - **Core fixes.** At least `min_fixes` fixes within the radius, the fix
//!   itself included.
//! - **Clusters.** Cores within the radius of each other, transitively.
//!   scikit-learn starts a cluster at each unlabelled core in index order,
//!   so clusters are numbered in the order of their lowest-indexed core.
//! - **Border fixes.** A fix that is not a core but lies within the radius
//!   of one. scikit-learn expands a cluster completely before starting the
//!   next and never relabels a fix, so a border fix within reach of two
//!   clusters belongs to the one numbered first, whatever order the ball
//!   tree lists neighbours in. Labels therefore match exactly, not merely
//!   up to renumbering.
//! - Every other fix is noise.
//!
//! The spatial index is a grid on the unit sphere in three dimensions
//! rather than on latitude and longitude, so it needs no special case at
//! the antimeridian or near a pole. Its cell side is the chord of the
//! radius, so a fix's neighbours lie in its own cell or the 26 around it.
//! Counting a fix's neighbours stops at `min_fixes`, and expanding a
//! cluster scans only the fixes of a cell that are still unlabelled, so a
//! sleeping spot with thousands of fixes costs about as much as thousands
//! of fixes elsewhere rather than their square.
//!
//! Distances are on a sphere of [`EARTH_RADIUS_M`]. scikit-learn works in
//! radians, so the radius in metres becomes `metres / EARTH_RADIUS_M`, and
//! that conversion is the only place the Earth's radius enters a label.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::f64::consts::FRAC_PI_2;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The sphere distances are measured on: the same as fixes' (see
/// [`super::fix::EARTH_RADIUS_M`]).
pub use super::fix::EARTH_RADIUS_M;

/// Local time of day, in seconds, when a fix starts counting as a night
/// fix (22:00); nights run to [`NIGHT_END_S`], excluded.
pub const NIGHT_START_S: i64 = 22 * 3600;

/// Local time of day, in seconds, when night ends (06:00).
pub const NIGHT_END_S: i64 = 6 * 3600;

const DAY_S: i64 = 86_400;

/// One fix to cluster: where the collar was, and when.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude in degrees (WGS 84), -90 to 90.
    pub lat: f64,
    /// Longitude in degrees (WGS 84).
    pub lon: f64,
    /// Unix time in seconds (UTC).
    pub time_s: i64,
}

/// How places are found: DBSCAN's radius and density, and the clock that
/// tells night from day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    radius_m: f64,
    min_fixes: usize,
    utc_offset_s: i32,
}

impl Params {
    /// `--radius`: about a house and its garden. Wide enough to hold the
    /// scatter of a collar's GPS indoors and under roofs, where cats sleep
    /// and fixes stray by tens of metres; narrow enough to keep apart the
    /// gardens a cat moves between.
    pub const DEFAULT_RADIUS_M: f64 = 30.0;

    /// `--min-fixes`: scikit-learn's default. Trackers send a fix about
    /// every 5 minutes on the move and hourly at rest, so five fixes is
    /// a rest of a few hours or a stay of about 20 minutes, while a cat
    /// walking through rarely leaves five fixes within the radius.
    pub const DEFAULT_MIN_FIXES: usize = 5;

    /// Checks the radius (positive metres) and `min_fixes` (at least 1,
    /// since a fix counts itself); nights are read in UTC until
    /// [`Params::with_utc_offset`] says otherwise.
    pub fn new(radius_m: f64, min_fixes: usize) -> Result<Self, ParamsError> {
        if !(radius_m.is_finite() && radius_m > 0.0) {
            return Err(ParamsError::Radius(radius_m));
        }
        if min_fixes == 0 {
            return Err(ParamsError::MinFixes);
        }
        Ok(Params {
            radius_m,
            min_fixes,
            utc_offset_s: 0,
        })
    }

    /// Reads nights on a clock `seconds` ahead of UTC (negative: behind).
    pub fn with_utc_offset(self, seconds: i32) -> Self {
        Params {
            utc_offset_s: seconds,
            ..self
        }
    }

    pub fn radius_m(&self) -> f64 {
        self.radius_m
    }

    pub fn min_fixes(&self) -> usize {
        self.min_fixes
    }

    pub fn utc_offset_s(&self) -> i32 {
        self.utc_offset_s
    }

    /// The radius as an angle, as scikit-learn is given it.
    fn eps_rad(&self) -> f64 {
        self.radius_m / EARTH_RADIUS_M
    }
}

impl Default for Params {
    fn default() -> Self {
        Params {
            radius_m: Self::DEFAULT_RADIUS_M,
            min_fixes: Self::DEFAULT_MIN_FIXES,
            utc_offset_s: 0,
        }
    }
}

/// A clustering parameter that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamsError {
    Radius(f64),
    MinFixes,
}

impl fmt::Display for ParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamsError::Radius(r) => {
                write!(
                    f,
                    "`--radius` must be a positive number of metres, not `{r}`"
                )
            }
            ParamsError::MinFixes => {
                write!(f, "`--min-fixes` must be at least 1 (a fix counts itself)")
            }
        }
    }
}

impl std::error::Error for ParamsError {}

/// DBSCAN's answer, fix by fix in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clustering {
    /// Each fix's cluster, numbered from 0 as scikit-learn numbers them;
    /// `None` for noise (scikit-learn's -1).
    pub labels: Vec<Option<usize>>,
    /// Whether each fix is a core fix.
    pub core: Vec<bool>,
    /// How many clusters there are.
    pub clusters: usize,
}

/// A place the cat spends time at: one cluster of her fixes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    /// The cluster's number in [`Clustering::labels`].
    pub cluster: usize,
    /// Centroid latitude in degrees: the mean of the fixes' positions on
    /// the sphere, so a place astride the antimeridian is not averaged to
    /// the far side of the Earth.
    pub lat: f64,
    /// Centroid longitude in degrees, -180 to 180.
    pub lon: f64,
    /// The largest distance from the centroid to one of the place's fixes.
    pub radius_m: f64,
    pub fixes: usize,
    /// Runs of consecutive fixes (in time) that are all in this place.
    pub visits: usize,
    /// Time from the first to the last fix of each visit, added up: what
    /// the fixes show, not a guess at when she arrived or left.
    pub dwell_s: i64,
    /// Nights (22:00 to 06:00 local) with at least one fix here.
    pub nights: usize,
    /// `nights` over the nights with any fix at all, placed or not.
    pub night_share: f64,
    /// Unix time of the first fix here.
    pub first_seen_s: i64,
    /// Unix time of the last fix here.
    pub last_seen_s: i64,
}

/// Clusters the fixes and ranks the clusters as places: see [`rank`].
pub fn places(points: &[Point], params: &Params) -> Vec<Place> {
    let clustering = dbscan(points, params);
    rank(points, &clustering, params.utc_offset_s)
}

/// DBSCAN with scikit-learn's semantics (see the module documentation).
pub fn dbscan(points: &[Point], params: &Params) -> Clustering {
    let fixes: Vec<Rad> = points.iter().map(Rad::of).collect();
    let neighbourhoods = Neighbourhoods::new(&fixes, params.eps_rad());
    let core: Vec<bool> = (0..fixes.len())
        .map(|fix| neighbourhoods.has_at_least(fix, params.min_fixes))
        .collect();
    let (labels, clusters) = neighbourhoods.expand(&core);
    Clustering {
        labels,
        core,
        clusters,
    }
}

/// Describes each cluster as a place and orders them: first by the nights
/// spent there, so the place she sleeps comes first, then by visits, then
/// by dwell time, then by cluster number so the order is stable.
///
/// `clustering` must be `points`' own, from [`dbscan`]; `utc_offset_s`
/// places the nights as [`Params::with_utc_offset`] does.
pub fn rank(points: &[Point], clustering: &Clustering, utc_offset_s: i32) -> Vec<Place> {
    let labels = &clustering.labels;
    let mut places = describe(points, labels, clustering.clusters);
    count_visits(points, labels, &mut places);
    count_nights(points, labels, i64::from(utc_offset_s), &mut places);
    places.sort_by_key(|p| {
        (
            Reverse(p.nights),
            Reverse(p.visits),
            Reverse(p.dwell_s),
            p.cluster,
        )
    });
    places
}

/// Each cluster's centroid, radius, fix count and first and last fix.
fn describe(points: &[Point], labels: &[Option<usize>], clusters: usize) -> Vec<Place> {
    let mut sums = vec![[0.0; 3]; clusters];
    let mut places: Vec<Place> = (0..clusters).map(empty_place).collect();
    for (point, cluster) in points.iter().zip(labels) {
        let Some(cluster) = *cluster else { continue };
        let unit = Rad::of(point).unit();
        let sum = &mut sums[cluster];
        (0..3).for_each(|axis| sum[axis] += unit[axis]);
        let place = &mut places[cluster];
        place.fixes += 1;
        place.first_seen_s = place.first_seen_s.min(point.time_s);
        place.last_seen_s = place.last_seen_s.max(point.time_s);
    }

    for (place, [x, y, z]) in places.iter_mut().zip(sums) {
        place.lat = z.atan2(x.hypot(y)).to_degrees();
        place.lon = y.atan2(x).to_degrees();
    }

    let centres: Vec<Rad> = places
        .iter()
        .map(|p| Rad::of_degrees(p.lat, p.lon))
        .collect();
    for (point, cluster) in points.iter().zip(labels) {
        let Some(cluster) = *cluster else { continue };
        let distance = metres(centres[cluster].rdist(&Rad::of(point)));
        let place = &mut places[cluster];
        place.radius_m = place.radius_m.max(distance);
    }
    places
}

fn empty_place(cluster: usize) -> Place {
    Place {
        cluster,
        lat: 0.0,
        lon: 0.0,
        radius_m: 0.0,
        fixes: 0,
        visits: 0,
        dwell_s: 0,
        nights: 0,
        night_share: 0.0,
        first_seen_s: i64::MAX,
        last_seen_s: i64::MIN,
    }
}

/// Walks the fixes in time order (input order among equal times): a visit
/// starts at a fix in a place whose previous fix was not in that place,
/// and a noise fix ends a visit as any other place does.
fn count_visits(points: &[Point], labels: &[Option<usize>], places: &mut [Place]) {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&fix| points[fix].time_s);

    // The visit under way: its cluster, first and last time.
    let mut visit: Option<(usize, i64, i64)> = None;
    for fix in order {
        let time = points[fix].time_s;
        match (visit, labels[fix]) {
            (Some((cluster, start, _)), Some(here)) if here == cluster => {
                visit = Some((cluster, start, time));
            }
            (_, here) => {
                if let Some((cluster, start, end)) = visit {
                    places[cluster].dwell_s += end - start;
                }
                visit = here.map(|cluster| (cluster, time, time));
                if let Some(cluster) = here {
                    places[cluster].visits += 1;
                }
            }
        }
    }
    if let Some((cluster, start, end)) = visit {
        places[cluster].dwell_s += end - start;
    }
}

/// Counts, for each place, the distinct nights with a fix there, and the
/// share of all nights with any fix that this is.
fn count_nights(points: &[Point], labels: &[Option<usize>], offset_s: i64, places: &mut [Place]) {
    let mut all = Vec::new();
    let mut placed = Vec::new();
    for (point, cluster) in points.iter().zip(labels) {
        let Some(night) = night_of(point.time_s, offset_s) else {
            continue;
        };
        all.push(night);
        if let Some(cluster) = *cluster {
            placed.push((cluster, night));
        }
    }
    all.sort_unstable();
    all.dedup();
    placed.sort_unstable();
    placed.dedup();

    for (cluster, _) in placed {
        places[cluster].nights += 1;
    }
    if !all.is_empty() {
        for place in places {
            place.night_share = place.nights as f64 / all.len() as f64;
        }
    }
}

/// The night a fix falls in, named by the number of the local day it ends
/// on (a fix at 23:00 and one at 05:00 the next day share a night), or
/// `None` for a fix by day.
fn night_of(time_s: i64, offset_s: i64) -> Option<i64> {
    let local = time_s.saturating_add(offset_s);
    let of_day = local.rem_euclid(DAY_S);
    let night = !(NIGHT_END_S..NIGHT_START_S).contains(&of_day);
    night.then(|| (local.saturating_add(DAY_S - NIGHT_START_S)).div_euclid(DAY_S))
}

/// A fix in radians, as scikit-learn is given it, with the cosine of its
/// latitude computed once (the value scikit-learn computes at each call).
#[derive(Debug, Clone, Copy)]
struct Rad {
    lat: f64,
    lon: f64,
    cos_lat: f64,
}

impl Rad {
    fn of(point: &Point) -> Self {
        Self::of_degrees(point.lat, point.lon)
    }

    fn of_degrees(lat: f64, lon: f64) -> Self {
        let lat = lat.to_radians();
        Rad {
            lat,
            lon: lon.to_radians(),
            cos_lat: lat.cos(),
        }
    }

    /// scikit-learn's reduced haversine distance `sin²(d/2)`, with its
    /// operations in its order so that results agree to the last bit.
    fn rdist(&self, other: &Rad) -> f64 {
        let sin_lat = (0.5 * (self.lat - other.lat)).sin();
        let sin_lon = (0.5 * (self.lon - other.lon)).sin();
        sin_lat * sin_lat + self.cos_lat * other.cos_lat * sin_lon * sin_lon
    }

    /// The fix as a point on the unit sphere.
    fn unit(&self) -> [f64; 3] {
        let (sin_lon, cos_lon) = self.lon.sin_cos();
        [
            self.cos_lat * cos_lon,
            self.cos_lat * sin_lon,
            self.lat.sin(),
        ]
    }
}

/// An angle as scikit-learn's ball tree compares it: `sin²(angle/2)`.
fn reduced(angle: f64) -> f64 {
    let half = (0.5 * angle).sin();
    half * half
}

/// A reduced distance back to metres.
fn metres(rdist: f64) -> f64 {
    2.0 * rdist.sqrt().asin() * EARTH_RADIUS_M
}

/// The fixes, the grid over them, and the radius: who is whose neighbour.
struct Neighbourhoods<'a> {
    fixes: &'a [Rad],
    grid: Grid,
    reduced_eps: f64,
}

impl<'a> Neighbourhoods<'a> {
    fn new(fixes: &'a [Rad], eps: f64) -> Self {
        Neighbourhoods {
            fixes,
            grid: Grid::new(fixes, eps),
            reduced_eps: reduced(eps),
        }
    }

    fn within(&self, a: usize, b: usize) -> bool {
        self.fixes[a].rdist(&self.fixes[b]) <= self.reduced_eps
    }

    /// Whether at least `min` fixes, `fix` included, are within the radius.
    fn has_at_least(&self, fix: usize, min: usize) -> bool {
        let mut count = 0;
        for &cell in self.grid.near(fix) {
            for &other in &self.grid.members[cell] {
                count += usize::from(self.within(fix, other));
                if count >= min {
                    return true;
                }
            }
        }
        false
    }

    /// scikit-learn's `dbscan_inner`: from each unlabelled core in index
    /// order, label everything reachable through cores with the next
    /// cluster number, expanding only cores. Each cell keeps the fixes it
    /// still has unlabelled, so a dense cell is scanned in full once, not
    /// once per core near it.
    fn expand(&self, core: &[bool]) -> (Vec<Option<usize>>, usize) {
        let mut labels = vec![None; self.fixes.len()];
        let mut unlabelled = self.grid.members.clone();
        let mut stack = Vec::new();
        let mut clusters = 0;
        for seed in 0..self.fixes.len() {
            if labels[seed].is_some() || !core[seed] {
                continue;
            }
            labels[seed] = Some(clusters);
            stack.push(seed);
            while let Some(fix) = stack.pop() {
                for &cell in self.grid.near(fix) {
                    unlabelled[cell].retain(|&other| {
                        if labels[other].is_some() {
                            return false;
                        }
                        if !self.within(fix, other) {
                            return true;
                        }
                        labels[other] = Some(clusters);
                        if core[other] {
                            stack.push(other);
                        }
                        false
                    });
                }
            }
            clusters += 1;
        }
        (labels, clusters)
    }
}

/// A hash grid of cubes over the unit sphere, one entry per non-empty cube.
struct Grid {
    /// The fixes in each cell.
    members: Vec<Vec<usize>>,
    /// For each cell, the non-empty cells among it and its 26 neighbours,
    /// itself first (a fix's closest neighbours are most likely there).
    near: Vec<Vec<usize>>,
    /// Each fix's cell.
    cell_of: Vec<usize>,
}

impl Grid {
    fn new(fixes: &[Rad], eps: f64) -> Self {
        let side = cell_side(eps);
        let mut index = HashMap::new();
        let mut keys = Vec::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut cell_of = Vec::with_capacity(fixes.len());
        for (fix, rad) in fixes.iter().enumerate() {
            let key = rad.unit().map(|c| (c / side).floor() as i64);
            let cell = *index.entry(key).or_insert_with(|| {
                keys.push(key);
                members.push(Vec::new());
                keys.len() - 1
            });
            members[cell].push(fix);
            cell_of.push(cell);
        }
        let near = keys.iter().map(|&key| neighbours(&index, key)).collect();
        Grid {
            members,
            near,
            cell_of,
        }
    }

    fn near(&self, fix: usize) -> &[usize] {
        &self.near[self.cell_of[fix]]
    }
}

/// The cube side: the chord of the radius, so fixes within it are at most
/// one cell apart on each axis. The margin covers rounding in the unit
/// vectors, and the haversine formula calling a pair a hair beyond the
/// radius within it.
fn cell_side(eps: f64) -> f64 {
    let chord = 2.0 * (0.5 * eps).min(FRAC_PI_2).sin();
    chord * (1.0 + 1e-6) + 1e-12
}

fn neighbours(index: &HashMap<[i64; 3], usize>, [x, y, z]: [i64; 3]) -> Vec<usize> {
    let mut near = vec![index[&[x, y, z]]];
    for dx in -1..=1 {
        for dy in -1..=1 {
            for dz in -1..=1 {
                if (dx, dy, dz) == (0, 0, 0) {
                    continue;
                }
                if let Some(&cell) = index.get(&[x + dx, y + dy, z + dz]) {
                    near.push(cell);
                }
            }
        }
    }
    near
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE_LAT: f64 = 52.37;
    const BASE_LON: f64 = 4.89;

    /// 2026-12-01 00:00 UTC.
    const MIDNIGHT: i64 = 1_796_083_200;
    const HOUR: i64 = 3600;

    /// A fix `north` and `east` metres from a point in Amsterdam.
    fn at(north: f64, east: f64, time_s: i64) -> Point {
        let east_radius = EARTH_RADIUS_M * BASE_LAT.to_radians().cos();
        Point {
            lat: BASE_LAT + (north / EARTH_RADIUS_M).to_degrees(),
            lon: BASE_LON + (east / east_radius).to_degrees(),
            time_s,
        }
    }

    /// Fixes on a meridian, `north` metres from the base.
    fn line(norths: &[f64]) -> Vec<Point> {
        norths.iter().map(|&north| at(north, 0.0, 0)).collect()
    }

    fn params(radius_m: f64, min_fixes: usize) -> Params {
        Params::new(radius_m, min_fixes).unwrap()
    }

    #[test]
    fn no_fixes_no_clusters() {
        let clustering = dbscan(&[], &Params::default());
        assert_eq!(clustering.labels, []);
        assert_eq!(clustering.clusters, 0);
        assert_eq!(places(&[], &Params::default()), []);
    }

    #[test]
    fn scattered_fixes_are_all_noise() {
        let points = line(&[0.0, 1000.0, 2000.0, 3000.0]);
        let clustering = dbscan(&points, &params(30.0, 2));
        assert_eq!(clustering.labels, [None; 4]);
        assert_eq!(clustering.core, [false; 4]);
        assert_eq!(places(&points, &params(30.0, 2)), []);
    }

    #[test]
    fn a_fix_counts_itself() {
        let points = line(&[0.0, 1000.0, 2000.0]);
        let clustering = dbscan(&points, &params(30.0, 1));
        assert_eq!(clustering.labels, [Some(0), Some(1), Some(2)]);
        assert_eq!(clustering.core, [true; 3]);
    }

    #[test]
    fn one_cluster_with_its_centroid_and_radius() {
        let mut points = vec![at(0.0, 0.0, 0)];
        for step in 0..8 {
            let angle = f64::from(step) * std::f64::consts::FRAC_PI_4;
            points.push(at(5.0 * angle.sin(), 5.0 * angle.cos(), i64::from(step)));
        }
        let clustering = dbscan(&points, &params(30.0, 5));
        assert_eq!(clustering.labels, [Some(0); 9]);
        assert_eq!(clustering.clusters, 1);

        let [place] = places(&points, &params(30.0, 5)).try_into().unwrap();
        let offset = Rad::of_degrees(place.lat, place.lon).rdist(&Rad::of(&points[0]));
        assert!(metres(offset) < 0.01, "{place:?}");
        assert!((place.radius_m - 5.0).abs() < 0.01, "{place:?}");
        assert_eq!(
            (place.fixes, place.first_seen_s, place.last_seen_s),
            (9, 0, 7)
        );
    }

    #[test]
    fn clusters_are_numbered_by_their_lowest_indexed_core() {
        // A border fix of the northern group comes first, but only a core
        // starts a cluster, and the southern group's cores come first.
        let points = line(&[
            5000.0, 1013.5, 0.0, 1.0, 2.0, 3.0, 4.0, 1000.0, 1001.0, 1002.0, 1003.0, 1004.0,
        ]);
        let clustering = dbscan(&points, &params(10.0, 5));
        let (south, north) = (Some(0), Some(1));
        let mut want = vec![None, north];
        want.extend([south; 5]);
        want.extend([north; 5]);
        assert_eq!(clustering.labels, want);
        assert_eq!(clustering.core[..2], [false, false]);
    }

    #[test]
    fn a_border_fix_between_two_clusters_joins_the_first_numbered() {
        // Within 10 m: the border fix at 12.5 m reaches the core at 3 m
        // (9.5 m away) and, nearer, the core at 21 m (8.5 m away), but with
        // only those two it is no core itself, so the clusters stay apart.
        let south = [0.0, 1.0, 2.0, 3.0];
        let north = [21.0, 23.0, 24.0, 25.0];
        let border = 12.5;
        let cases: [(Vec<f64>, usize, usize); 3] = [
            ([&south[..], &[border], &north].concat(), 4, 0),
            ([&north[..], &[border], &south].concat(), 4, 0),
            ([&[border][..], &south, &north].concat(), 0, 1),
        ];
        for (norths, at_border, first_fix) in cases {
            let clustering = dbscan(&line(&norths), &params(10.0, 4));
            assert_eq!(clustering.clusters, 2, "{norths:?}");
            assert!(!clustering.core[at_border]);
            assert_eq!(
                clustering.labels[at_border], clustering.labels[first_fix],
                "{norths:?}: {:?}",
                clustering.labels
            );
            assert_eq!(clustering.labels[at_border], Some(0));
        }
    }

    #[test]
    fn fixes_astride_the_antimeridian_are_one_place() {
        let points: Vec<Point> = [179.99995, -179.99995, 179.99998, -179.99998, 180.0]
            .iter()
            .map(|&lon| Point {
                lat: -16.5,
                lon,
                time_s: 0,
            })
            .collect();
        let clustering = dbscan(&points, &params(30.0, 5));
        assert_eq!(clustering.labels, [Some(0); 5]);
        let place = &places(&points, &params(30.0, 5))[0];
        assert!(place.lon.abs() > 179.9999, "{place:?}");
        assert!(place.radius_m < 6.0, "{place:?}");
    }

    /// A day and two nights: home at night, the feeder visited three times
    /// for five minutes, the shed once for two hours, the neighbour's once
    /// for half an hour, and a stray fix before each visit by day.
    fn a_cats_day() -> Vec<Point> {
        let (home, feeder, shed, neighbour) =
            ((0.0, 0.0), (500.0, 0.0), (0.0, 800.0), (-700.0, 0.0));
        let five_minutes = 5.0 / 60.0;
        let visits: [((f64, f64), &[f64]); 7] = [
            (
                home,
                &[22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0],
            ),
            (feeder, &[32.0, 32.0 + five_minutes]),
            (shed, &[34.0, 35.0, 36.0]),
            (feeder, &[38.0, 38.0 + five_minutes]),
            (neighbour, &[40.0, 40.5]),
            (feeder, &[42.0, 42.0 + five_minutes]),
            (home, &[46.0, 47.0]),
        ];
        let at_hour = |(north, east): (f64, f64), h: f64| {
            at(north, east, MIDNIGHT + (h * 3600.0).round() as i64)
        };
        let mut day = Vec::new();
        for (stray, (place, hours)) in visits.into_iter().enumerate() {
            if place != home {
                day.push(at_hour((5000.0 * stray as f64, 0.0), hours[0] - 0.5));
            }
            day.extend(hours.iter().map(|&h| at_hour(place, h)));
        }
        day
    }

    #[test]
    fn where_she_sleeps_comes_first_then_visits_then_dwell() {
        let ranked = places(&a_cats_day(), &params(30.0, 2));
        let summary: Vec<_> = ranked
            .iter()
            .map(|p| (p.fixes, p.visits, p.dwell_s, p.nights))
            .collect();
        assert_eq!(
            summary,
            [
                (11, 2, 8 * HOUR + HOUR, 2),
                (6, 3, 3 * 300, 0),
                (3, 1, 2 * HOUR, 0),
                (2, 1, HOUR / 2, 0),
            ]
        );
        let home = &ranked[0];
        assert_eq!(home.night_share, 1.0);
        assert_eq!(home.first_seen_s, MIDNIGHT + 22 * HOUR);
        assert_eq!(home.last_seen_s, MIDNIGHT + 47 * HOUR);
        assert_eq!(ranked[1].night_share, 0.0);
    }

    #[test]
    fn a_noise_fix_ends_a_visit() {
        let points = vec![
            at(0.0, 0.0, 0),
            at(0.0, 0.0, 60),
            at(3000.0, 0.0, 120),
            at(0.0, 0.0, 180),
            at(0.0, 0.0, 240),
        ];
        let [place] = places(&points, &params(30.0, 2)).try_into().unwrap();
        assert_eq!((place.visits, place.dwell_s), (2, 120));
    }

    #[test]
    fn nights_run_from_22_to_6_on_the_local_clock() {
        let night = |h: i64, offset: i64| night_of(MIDNIGHT + h * HOUR, offset);
        assert_eq!(night(21, 0), None);
        assert_eq!(night(22, 0), night(29, 0));
        assert!(night(22, 0).is_some());
        assert_ne!(night(22, 0), night(46, 0));
        assert_eq!(night(30, 0), None);
        assert_eq!(night(21, HOUR), night(22, 0));
        assert!(night(6, -HOUR).is_some());
        assert_eq!(night_of(MIDNIGHT + 21 * HOUR + 1800, 3600), night(23, 0));

        let late = [
            at(0.0, 0.0, MIDNIGHT + 21 * HOUR),
            at(0.0, 0.0, MIDNIGHT + 21 * HOUR + 60),
        ];
        let nights = |offset| places(&late, &params(30.0, 2).with_utc_offset(offset))[0].nights;
        assert_eq!((nights(0), nights(3600)), (0, 1));
    }

    #[test]
    fn parameters_are_checked() {
        for radius in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Params::new(radius, 5),
                Err(ParamsError::Radius(_))
            ));
        }
        assert_eq!(Params::new(30.0, 0), Err(ParamsError::MinFixes));
        assert_eq!(
            ParamsError::Radius(-3.0).to_string(),
            "`--radius` must be a positive number of metres, not `-3`"
        );
        assert_eq!(Params::default(), params(30.0, 5));
    }
}
