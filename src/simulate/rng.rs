//! The simulation's source of randomness: SplitMix64 (Steele, Lea and
//! Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014),
//! with the few draws the generator needs built on it.
//!
//! `--seed` promises the same uplinks on every machine and every build, so
//! the stream must never change under us. A crate's seeded stream can:
//! fastrand 2.1 changed the numbers every seed gives in a minor release.
//! SplitMix64 is a dozen lines with published test vectors, so fleet keeps
//! its own. The draws use only additions, multiplications, divisions and
//! square roots, which IEEE 754 rounds exactly on every platform; nothing
//! here calls `ln`, `exp`, `sin` or `cos`, whose last bit differs between
//! math libraries.

/// A seeded pseudorandom stream. Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A stream of its own for `label` under `seed`, so that each cat, and
    /// each part of a cat's simulation, draws independently of the others:
    /// adding a cat, or a draw to one part, leaves the rest as it was.
    pub fn derive(seed: u64, label: &str) -> Rng {
        Rng(mix(seed ^ fnv1a(label)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix(self.0)
    }

    /// Uniform in [0, 1), on the 2^53 doubles spaced evenly there.
    pub fn unit(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// Uniform in [low, high).
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in 0..n; `n` is small, so the bias of a multiply is nil.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }

    /// The index of an entry chosen with probability proportional to its
    /// weight.
    pub fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut left = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if left < *w {
                return i;
            }
            left -= w;
        }
        weights.len() - 1
    }

    /// About normally distributed, mean 0 and standard deviation 1: the
    /// Irwin–Hall sum of twelve uniforms, less six. It never goes past ±6,
    /// which suits GPS error and sensor noise, and needs no logarithm.
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    /// A direction, uniform around the circle, as a unit vector (east,
    /// north): a point of the unit disc by rejection, scaled to length 1.
    pub fn direction(&mut self) -> (f64, f64) {
        loop {
            let (x, y) = (self.range(-1.0, 1.0), self.range(-1.0, 1.0));
            let r2 = x * x + y * y;
            if r2 > 1e-4 && r2 <= 1.0 {
                let r = r2.sqrt();
                return (x / r, y / r);
            }
        }
    }
}

/// SplitMix64's output function (a variant of MurmurHash3's finaliser).
fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a, a fixed function of the bytes.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vector of SplitMix64 for seed 1234567.
    #[test]
    fn splitmix64_gives_the_reference_stream() {
        let mut rng = Rng::new(1_234_567);
        let first: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn fnv1a_matches_its_reference() {
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut rng = Rng::new(9);
        for _ in 0..10_000 {
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(rng.below(3) < 3);
            assert!(rng.normal().abs() <= 6.0);
            let (x, y) = rng.direction();
            assert!(((x * x + y * y) - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn picks_follow_the_weights() {
        let mut rng = Rng::new(3);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[rng.pick(&[1.0, 2.0, 0.0])] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!((9_000..11_000).contains(&counts[0]), "{counts:?}");
    }
}
