//! fleet's DBSCAN against scikit-learn's on the same generated fixes:
//! `DBSCAN(metric="haversine", algorithm="ball_tree")` in the emulator's
//! venv must give every fix the same label, and the same core fixes.

use std::fmt::Write as _;
use std::process::Command;

use fleet::simulate::rng::Rng;
use fleet::track::places::{EARTH_RADIUS_M, Params, Point, dbscan};

use crate::harness;

/// Reads the fixes (degrees, one `lat,lon` a line) and, for each
/// `metres:min_samples` argument, prints one JSON line: scikit-learn's
/// labels, its core fixes, and how many border fixes were within reach of
/// more than one cluster (so a test can show it put the border rule to
/// work).
const SKLEARN: &str = r#"
import csv, json, sys
import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.neighbors import NearestNeighbors

path, earth_radius_m, cases = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
with open(path) as f:
    X = np.radians(np.array([[float(lat), float(lon)] for lat, lon in csv.reader(f)]))
for case in cases:
    metres, min_samples = case.split(":")
    eps, min_samples = float(metres) / earth_radius_m, int(min_samples)
    labels = DBSCAN(eps=eps, min_samples=min_samples, metric="haversine",
                    algorithm="ball_tree").fit(X).labels_
    hoods = NearestNeighbors(radius=eps, algorithm="ball_tree", metric="haversine") \
        .fit(X).radius_neighbors(X, return_distance=False)
    core = [len(hood) >= min_samples for hood in hoods]
    contested = sum(
        1 for i, hood in enumerate(hoods)
        if not core[i] and len({labels[j] for j in hood if core[j]}) > 1
    )
    print(json.dumps({
        "labels": labels.tolist(),
        "core": [i for i, c in enumerate(core) if c],
        "contested": contested,
    }))
"#;

/// What scikit-learn said for one case.
struct Reference {
    labels: Vec<i64>,
    core: Vec<usize>,
    contested: u64,
}

/// A spot the cat frequents: metres north and east of the scene's origin,
/// the spread of its fixes (GPS scatter and moving about) and their number.
struct Spot {
    north: f64,
    east: f64,
    spread: f64,
    fixes: usize,
}

/// A fix `north` and `east` metres from (`lat`, `lon`), on the sphere.
fn offset(lat: f64, lon: f64, north: f64, east: f64) -> Point {
    let lat = lat + (north / EARTH_RADIUS_M).to_degrees();
    let east_radius = EARTH_RADIUS_M * lat.to_radians().cos();
    let lon = lon + (east / east_radius).to_degrees();
    Point {
        lat,
        lon: (lon + 180.0).rem_euclid(360.0) - 180.0,
        time_s: 0,
    }
}

/// Fixes scattered normally around each spot, plus `noise` fixes spread
/// uniformly over a square `span` metres wide, shuffled so that the
/// clusters' numbers depend on the order as scikit-learn's do.
fn scene(seed: u64, origin: (f64, f64), spots: &[Spot], noise: usize, span: f64) -> Vec<Point> {
    let mut rng = Rng::new(seed);
    let mut points = Vec::new();
    for spot in spots {
        for _ in 0..spot.fixes {
            let north = spot.north + spot.spread * rng.normal();
            let east = spot.east + spot.spread * rng.normal();
            points.push(offset(origin.0, origin.1, north, east));
        }
    }
    for _ in 0..noise {
        let north = span * (rng.unit() - 0.5);
        let east = span * (rng.unit() - 0.5);
        points.push(offset(origin.0, origin.1, north, east));
    }
    for i in (1..points.len()).rev() {
        points.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    points
}

/// Runs the script above on `points` for each `(metres, min_samples)`.
fn sklearn(points: &[Point], cases: &[(f64, usize)]) -> Vec<Reference> {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fixes.csv");
    let mut text = String::new();
    for p in points {
        writeln!(text, "{},{}", p.lat, p.lon).unwrap();
    }
    std::fs::write(&csv, text).unwrap();

    let python = harness::repo(".emulator/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run emulator/setup",
        python.display()
    );
    let output = Command::new(python)
        .args(["-c", SKLEARN])
        .arg(&csv)
        .arg(EARTH_RADIUS_M.to_string())
        .args(cases.iter().map(|(metres, min)| format!("{metres}:{min}")))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let stdout = String::from_utf8(output.stdout).unwrap();
    let references: Vec<Reference> = stdout.lines().map(reference).collect();
    assert_eq!(references.len(), cases.len(), "{stdout}");
    references
}

fn reference(line: &str) -> Reference {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let numbers = |key: &str| {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_i64().unwrap())
    };
    Reference {
        labels: numbers("labels").collect(),
        core: numbers("core").map(|i| i as usize).collect(),
        contested: v["contested"].as_u64().unwrap(),
    }
}

/// Clusters `points` with fleet for each case and asserts the labels and
/// core fixes are scikit-learn's; returns the contested border fixes seen.
fn assert_same_as_sklearn(points: &[Point], cases: &[(f64, usize)]) -> u64 {
    let references = sklearn(points, cases);
    let mut contested = 0;
    for (&(metres, min), want) in cases.iter().zip(references) {
        let got = dbscan(points, &Params::new(metres, min).unwrap());
        let labels: Vec<i64> = got
            .labels
            .iter()
            .map(|label| label.map_or(-1, |l| l as i64))
            .collect();
        let differ: Vec<String> = (0..points.len())
            .filter(|&i| labels[i] != want.labels[i])
            .take(10)
            .map(|i| format!("fix {i}: fleet {} sklearn {}", labels[i], want.labels[i]))
            .collect();
        assert!(differ.is_empty(), "{metres} m, {min} fixes: {differ:#?}");

        let core: Vec<usize> = (0..points.len()).filter(|&i| got.core[i]).collect();
        assert_eq!(core, want.core, "{metres} m, {min} fixes");
        assert!(
            got.clusters > 1,
            "{metres} m, {min} fixes: too few clusters to compare"
        );
        contested += want.contested;
    }
    contested
}

#[test]
fn labels_equal_scikit_learns_on_a_cats_neighbourhood() {
    let spot = |north, east, spread, fixes| Spot {
        north,
        east,
        spread,
        fixes,
    };
    let spots = [
        spot(0.0, 0.0, 12.0, 1500),      // home
        spot(45.0, 10.0, 8.0, 300),      // the neighbour's porch, touching home
        spot(300.0, -200.0, 10.0, 400),  // a feeder
        spot(-250.0, 150.0, 15.0, 300),  // a shed
        spot(600.0, 600.0, 6.0, 200),    // two spots 50 m apart
        spot(650.0, 600.0, 6.0, 200),    //
        spot(-500.0, -600.0, 60.0, 500), // a hunting ground, sparse
    ];
    let points = scene(5, (52.37, 4.89), &spots, 600, 3000.0);
    assert_eq!(points.len(), 4000);

    let cases = [(30.0, 5), (15.0, 10), (10.0, 6), (12.0, 12), (50.0, 25)];
    let contested = assert_same_as_sklearn(&points, &cases);
    assert!(
        contested > 0,
        "no border fix was within reach of two clusters"
    );
}

#[test]
fn labels_equal_scikit_learns_across_the_antimeridian_and_at_the_pole() {
    let spots = [
        Spot {
            north: 0.0,
            east: 0.0,
            spread: 10.0,
            fixes: 300,
        },
        Spot {
            north: 60.0,
            east: 30.0,
            spread: 10.0,
            fixes: 200,
        },
    ];
    let mut points = scene(7, (-16.5, 179.9996), &spots, 200, 400.0);
    points.extend(scene(11, (89.999, 30.0), &spots, 200, 150.0));

    assert!(points.iter().any(|p| p.lon < 0.0) && points.iter().any(|p| p.lon > 0.0));
    assert_same_as_sklearn(&points, &[(30.0, 5), (12.0, 8)]);
}
