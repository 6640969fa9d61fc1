//! Positions around home as metres east and north of it, and their
//! latitude and longitude.
//!
//! A cat's world is a few hundred metres across, where a flat tangent plane
//! is within millimetres of the sphere, so the walk is done in metres and
//! only the reported fix is turned into degrees. The conversion uses a
//! series for the cosine rather than `f64::cos`, whose last bit depends on
//! the platform's math library, so a seed gives the same fixes everywhere.

use std::ops::{Add, Mul, Sub};

/// Metres in a degree of latitude, on a sphere of the mean Earth radius
/// (6,371,008.8 m, the IUGG's R1).
const METRES_PER_DEGREE: f64 = crate::track::fix::EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// How far from the equator a home may be: beyond it a few metres east
/// are a large part of a degree, and no cat is simulated there.
pub const MAX_LATITUDE: f64 = 85.0;

/// Metres east and north of home.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Offset {
    pub east: f64,
    pub north: f64,
}

impl Offset {
    pub fn new(east: f64, north: f64) -> Offset {
        Offset { east, north }
    }

    /// `(east, north)` of unit length, as [`crate::simulate::rng::Rng::direction`] gives.
    pub fn toward((east, north): (f64, f64), metres: f64) -> Offset {
        Offset { east, north } * metres
    }

    pub fn length(self) -> f64 {
        (self.east * self.east + self.north * self.north).sqrt()
    }

    /// The same direction with length 1; zero stays zero.
    pub fn unit(self) -> Offset {
        let length = self.length();
        if length == 0.0 {
            self
        } else {
            self * (1.0 / length)
        }
    }
}

impl Add for Offset {
    type Output = Offset;
    fn add(self, other: Offset) -> Offset {
        Offset::new(self.east + other.east, self.north + other.north)
    }
}

impl Sub for Offset {
    type Output = Offset;
    fn sub(self, other: Offset) -> Offset {
        Offset::new(self.east - other.east, self.north - other.north)
    }
}

impl Mul<f64> for Offset {
    type Output = Offset;
    fn mul(self, k: f64) -> Offset {
        Offset::new(self.east * k, self.north * k)
    }
}

/// Where the cats live, as `--home LAT,LON` gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Home {
    pub latitude: f64,
    pub longitude: f64,
    metres_per_degree_east: f64,
}

/// The home simulated cats live at without `--home`: central Amsterdam,
/// the point of examples/uplink-lgt92.json, in the sample fleet's zone.
pub const DEFAULT_HOME: (f64, f64) = (52.370_216, 4.895_168);

impl Home {
    /// A home at `latitude`, `longitude` degrees, or why it cannot be one.
    pub fn new(latitude: f64, longitude: f64) -> Result<Home, String> {
        if !latitude.is_finite() || latitude.abs() > MAX_LATITUDE {
            return Err(format!(
                "latitude {latitude} is not within ±{MAX_LATITUDE}°"
            ));
        }
        if !longitude.is_finite() || longitude.abs() > 180.0 {
            return Err(format!("longitude {longitude} is not within ±180°"));
        }
        let metres_per_degree_east = METRES_PER_DEGREE * cos(latitude.to_radians());
        Ok(Home {
            latitude,
            longitude,
            metres_per_degree_east,
        })
    }

    /// The latitude and longitude of a point `offset` from home.
    pub fn locate(&self, offset: Offset) -> (f64, f64) {
        let latitude = self.latitude + offset.north / METRES_PER_DEGREE;
        let mut longitude = self.longitude + offset.east / self.metres_per_degree_east;
        if longitude > 180.0 {
            longitude -= 360.0;
        } else if longitude < -180.0 {
            longitude += 360.0;
        }
        (latitude, longitude)
    }

    /// Where a latitude and longitude are from home; the inverse of
    /// [`Home::locate`] (for tests and checks).
    pub fn offset_of(&self, latitude: f64, longitude: f64) -> Offset {
        let mut east = longitude - self.longitude;
        if east > 180.0 {
            east -= 360.0;
        } else if east < -180.0 {
            east += 360.0;
        }
        Offset::new(
            east * self.metres_per_degree_east,
            (latitude - self.latitude) * METRES_PER_DEGREE,
        )
    }
}

impl std::str::FromStr for Home {
    type Err = String;

    /// `52.370216,4.895168`: latitude, then longitude, in degrees.
    fn from_str(text: &str) -> Result<Home, String> {
        let usage = || format!("`{text}` is not LAT,LON in degrees, e.g. 52.370216,4.895168");
        let (lat, lon) = text.split_once(',').ok_or_else(usage)?;
        let lat: f64 = lat.trim().parse().map_err(|_| usage())?;
        let lon: f64 = lon.trim().parse().map_err(|_| usage())?;
        Home::new(lat, lon)
    }
}

/// The cosine of `x` radians, |x| at most π/2, by its Taylor series: only
/// multiplications and additions, so the same bits on every platform. 14
/// terms leave an error below 1e-20.
fn cos(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..14 {
        let k = f64::from(k);
        term *= -x2 / ((2.0 * k - 1.0) * (2.0 * k));
        sum += term;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_cosine_agrees_with_the_library() {
        for degrees in [0.0, 1.0, 30.0, 45.0, 52.370_216, 60.0, 85.0, -33.9] {
            let x = f64::to_radians(degrees);
            assert!((cos(x) - x.cos()).abs() < 1e-15, "{degrees}");
        }
    }

    #[test]
    fn offsets_round_trip_through_degrees() {
        let home: Home = "52.370216,4.895168".parse().unwrap();
        let offset = Offset::new(-250.0, 120.0);
        let (lat, lon) = home.locate(offset);
        let back = home.offset_of(lat, lon);
        assert!((back - offset).length() < 1e-6, "{back:?}");
        // A degree of latitude is about 111 km.
        let (north, _) = home.locate(Offset::new(0.0, 111_195.0));
        assert!((north - home.latitude - 1.0).abs() < 1e-4);
    }

    #[test]
    fn homes_are_checked() {
        assert!("52.37,4.89".parse::<Home>().is_ok());
        assert!("-33.92, 18.42".parse::<Home>().is_ok());
        for bad in ["52.37", "north,4.89", "91,0", "0,181", "89,0", "NaN,0"] {
            assert!(bad.parse::<Home>().is_err(), "{bad}");
        }
    }

    #[test]
    fn longitudes_wrap_at_the_antimeridian() {
        let home = Home::new(-17.0, 179.999).unwrap();
        let (_, lon) = home.locate(Offset::new(500.0, 0.0));
        assert!(lon < -179.99, "{lon}");
        let back = home.offset_of(-17.0, lon);
        assert!((back.east - 500.0).abs() < 1e-6);
    }
}
