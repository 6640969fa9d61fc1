//! The numbers of IoT SQL: decimals of up to 34 significant digits with an
//! exponent within ±999, as the data types reference defines `Int` and
//! `Decimal`.
//!
//! With SQL 2016-03-23 a whole number is an `Int` whatever its spelling
//! (`10.0` is `10`), so one type serves both and [`Dec::is_whole`] tells them
//! apart. Values are kept normalized (no trailing zeros in the mantissa), so
//! equal numbers are equal structs. Results are rounded half-even to 34
//! digits, the rounding of IEEE 754 decimal128 that the reference's "34 digits
//! of precision" describes; an exponent out of range gives `None`, which the
//! evaluator turns into `Undefined`.

use std::cmp::Ordering;

/// Significant digits a value keeps.
const PRECISION: u32 = 34;

/// The largest adjusted exponent (of the leading digit) a value may have.
const MAX_EXP: i64 = 999;

/// A decimal number `mant × 10^exp`, normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dec {
    mant: i128,
    exp: i32,
}

impl Dec {
    pub const ZERO: Dec = Dec { mant: 0, exp: 0 };

    pub fn from_i128(n: i128) -> Option<Dec> {
        round_to_precision(n < 0, n.unsigned_abs(), 0, false)
    }

    pub fn from_i64(n: i64) -> Dec {
        Dec::from_i128(i128::from(n)).unwrap_or(Dec::ZERO)
    }

    /// Parses a string the way IoT SQL converts strings to `Decimal`: only
    /// text matching `^-?\d+(\.\d+)?((?i)E-?\d+)?$` is a number.
    pub fn parse_strict(s: &str) -> Option<Dec> {
        parse_decimal(s, false)
    }

    /// Parses a number as Rust or a SQL literal writes it; the exponent may
    /// carry a `+` sign.
    pub fn parse_lenient(s: &str) -> Option<Dec> {
        parse_decimal(s, true)
    }

    /// The exact decimal value of the shortest text that reads back as `f`.
    pub fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        Dec::parse_lenient(&format!("{f:e}"))
    }

    pub fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    pub fn is_whole(self) -> bool {
        self.exp >= 0
    }

    pub fn is_zero(self) -> bool {
        self.mant == 0
    }

    pub fn is_negative(self) -> bool {
        self.mant < 0
    }

    /// The value as an integer, when it is whole and fits.
    pub fn to_i128(self) -> Option<i128> {
        if self.exp < 0 {
            return None;
        }
        let scale = 10i128.checked_pow(self.exp.unsigned_abs())?;
        self.mant.checked_mul(scale)
    }

    /// The value as an `i64`, clamped, after rounding toward negative infinity.
    pub fn floor_i64(self) -> i64 {
        let whole = self.floor();
        match whole.to_i128() {
            Some(n) => n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
            None if whole.is_negative() => i64::MIN,
            None => i64::MAX,
        }
    }

    pub fn neg(self) -> Dec {
        Dec {
            mant: -self.mant,
            exp: self.exp,
        }
    }

    pub fn abs(self) -> Dec {
        Dec {
            mant: self.mant.abs(),
            exp: self.exp,
        }
    }

    pub fn signum(self) -> i64 {
        self.mant.signum() as i64
    }

    pub fn add(self, other: Dec) -> Option<Dec> {
        add(self, other)
    }

    pub fn sub(self, other: Dec) -> Option<Dec> {
        add(self, other.neg())
    }

    pub fn mul(self, other: Dec) -> Option<Dec> {
        mul(self, other)
    }

    /// Decimal division, rounded to 34 digits; `None` when dividing by zero.
    pub fn div(self, other: Dec) -> Option<Dec> {
        div(self, other)
    }

    /// Division of whole numbers, truncated toward zero as `Int / Int` is.
    pub fn div_trunc(self, other: Dec) -> Option<Dec> {
        Some(self.div(other)?.trunc())
    }

    /// The remainder of truncated division; its sign is the dividend's.
    pub fn rem(self, other: Dec) -> Option<Dec> {
        if other.is_zero() {
            return None;
        }
        let exp = self.exp.min(other.exp);
        let a = scale_up(self.mant, self.exp - exp)?;
        let b = scale_up(other.mant, other.exp - exp)?;
        normalize(a % b, i64::from(exp))
    }

    pub fn floor(self) -> Dec {
        let t = self.trunc();
        if t != self && self.is_negative() {
            t.add(Dec::from_i64(-1)).unwrap_or(t)
        } else {
            t
        }
    }

    pub fn ceil(self) -> Dec {
        let t = self.trunc();
        if t != self && !self.is_negative() {
            t.add(Dec::from_i64(1)).unwrap_or(t)
        } else {
            t
        }
    }

    /// The nearest whole number, halves away from zero (`round(-1.5)` is -2).
    pub fn round_half_up(self) -> Dec {
        let half = Dec { mant: 5, exp: -1 };
        let shifted = if self.is_negative() {
            self.sub(half)
        } else {
            self.add(half)
        };
        shifted.map_or(self, Dec::trunc)
    }

    /// Drops the digits after `places` decimal places.
    pub fn trunc_places(self, places: u32) -> Dec {
        let keep = -i64::from(places);
        if i64::from(self.exp) >= keep {
            return self;
        }
        let drop = (keep - i64::from(self.exp)) as u32;
        match 10i128.checked_pow(drop) {
            Some(p) => normalize(self.mant / p, keep).unwrap_or(Dec::ZERO),
            None => Dec::ZERO,
        }
    }

    pub fn trunc(self) -> Dec {
        self.trunc_places(0)
    }

    pub fn cmp(self, other: Dec) -> Ordering {
        let sign = self.mant.signum().cmp(&other.mant.signum());
        if sign != Ordering::Equal || self.mant == 0 {
            return sign;
        }
        let magnitude = compare_magnitudes(self, other);
        if self.mant < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }

    /// The text IoT SQL converts a number to: whole numbers in plain digits,
    /// others as Java's `BigDecimal.toString` writes them (plain unless the
    /// exponent is below -6, as in `1.5E-7`).
    pub fn to_sql_string(self) -> String {
        let digits = self.mant.unsigned_abs().to_string();
        let sign = if self.mant < 0 { "-" } else { "" };
        if self.exp >= 0 {
            let zeros = "0".repeat(if self.mant == 0 { 0 } else { self.exp as usize });
            return format!("{sign}{digits}{zeros}");
        }
        let adjusted = i64::from(self.exp) + digits.len() as i64 - 1;
        if adjusted >= -6 {
            return format!("{sign}{}", plain_fraction(&digits, self.exp.unsigned_abs()));
        }
        let (head, tail) = digits.split_at(1);
        let point = if tail.is_empty() { "" } else { "." };
        format!("{sign}{head}{point}{tail}E{adjusted}")
    }

    /// Significant digits and the adjusted exponent (of the leading digit).
    pub fn precision_and_exponent(self) -> (u32, i64) {
        let digits = digit_count(self.mant.unsigned_abs());
        (digits, i64::from(self.exp) + i64::from(digits) - 1)
    }
}

fn plain_fraction(digits: &str, scale: u32) -> String {
    let scale = scale as usize;
    if digits.len() > scale {
        let (whole, frac) = digits.split_at(digits.len() - scale);
        format!("{whole}.{frac}")
    } else {
        format!("0.{}{digits}", "0".repeat(scale - digits.len()))
    }
}

fn scale_up(mant: i128, by: i32) -> Option<i128> {
    mant.checked_mul(10i128.checked_pow(by.unsigned_abs())?)
}

fn digit_count(n: u128) -> u32 {
    n.checked_ilog10().map_or(1, |d| d + 1)
}

fn compare_magnitudes(a: Dec, b: Dec) -> Ordering {
    let (da, ea) = a.precision_and_exponent();
    let (db, eb) = b.precision_and_exponent();
    if ea != eb {
        return ea.cmp(&eb);
    }
    // Same leading position: pad both mantissas to the full precision.
    let pa = a.mant.unsigned_abs() * 10u128.pow(PRECISION - da);
    let pb = b.mant.unsigned_abs() * 10u128.pow(PRECISION - db);
    pa.cmp(&pb)
}

/// Builds a value from an unrounded magnitude. `sticky` says the exact value
/// lies strictly above `mag` by less than one unit, which decides ties.
fn round_to_precision(negative: bool, mut mag: u128, exp: i64, sticky: bool) -> Option<Dec> {
    let mut exp = exp;
    let digits = digit_count(mag);
    if digits > PRECISION {
        let drop = digits - PRECISION;
        let p = 10u128.pow(drop);
        let (q, r) = (mag / p, mag % p);
        let half = p / 2;
        let up = r > half || (r == half && (sticky || q % 2 == 1));
        mag = q + u128::from(up);
        exp += i64::from(drop);
    }
    let signed = i128::try_from(mag).ok()?;
    normalize(if negative { -signed } else { signed }, exp)
}

fn normalize(mut mant: i128, mut exp: i64) -> Option<Dec> {
    if mant == 0 {
        return Some(Dec::ZERO);
    }
    while mant % 10 == 0 {
        mant /= 10;
        exp += 1;
    }
    if digit_count(mant.unsigned_abs()) > PRECISION {
        return round_to_precision(mant < 0, mant.unsigned_abs(), exp, false);
    }
    let adjusted = exp + i64::from(digit_count(mant.unsigned_abs())) - 1;
    if !(-MAX_EXP..=MAX_EXP).contains(&adjusted) {
        return None;
    }
    Some(Dec {
        mant,
        exp: i32::try_from(exp).ok()?,
    })
}

fn add(a: Dec, b: Dec) -> Option<Dec> {
    if a.is_zero() {
        return Some(b);
    }
    if b.is_zero() {
        return Some(a);
    }
    // Align both on a base 36 digits below the larger leading digit; only an
    // operand far smaller than the other loses digits there, and those can
    // only break ties, which `sticky` keeps track of.
    let lead = a
        .precision_and_exponent()
        .1
        .max(b.precision_and_exponent().1);
    let base = lead - 36;
    let (qa, ta) = at_base(a, base);
    let (qb, tb) = at_base(b, base);
    let sum = qa + qb;
    let truncated_sign = if ta != 0 { ta } else { tb };
    if truncated_sign == 0 {
        return normalize(sum, base);
    }
    let toward = sum.signum() == truncated_sign || sum == 0;
    let mag = if toward {
        sum.unsigned_abs()
    } else {
        sum.unsigned_abs() - 1
    };
    let negative = if sum == 0 {
        truncated_sign < 0
    } else {
        sum < 0
    };
    round_to_precision(negative, mag, base, true)
}

/// The value as a multiple of `10^base`, truncated toward zero, and the sign
/// of what truncation dropped (0 when exact).
fn at_base(d: Dec, base: i64) -> (i128, i128) {
    let shift = i64::from(d.exp) - base;
    if shift >= 0 {
        return (d.mant * 10i128.pow(shift as u32), 0);
    }
    match 10i128.checked_pow((-shift) as u32) {
        Some(p) => {
            let q = d.mant / p;
            let r = d.mant % p;
            (q, r.signum())
        }
        None => (0, d.mant.signum()),
    }
}

fn mul(a: Dec, b: Dec) -> Option<Dec> {
    if a.is_zero() || b.is_zero() {
        return Some(Dec::ZERO);
    }
    let negative = (a.mant < 0) != (b.mant < 0);
    let mut wide = Wide::product(a.mant.unsigned_abs(), b.mant.unsigned_abs());
    let mut exp = i64::from(a.exp) + i64::from(b.exp);

    // Drop digits until the product fits; keep the last dropped digit and
    // whether anything below it was non-zero, for half-even rounding.
    let (mut last, mut sticky) = (0u64, false);
    while !wide.fits_precision() {
        sticky |= last != 0;
        last = wide.div10();
        exp += 1;
    }
    let mut mag = wide.low();
    let up = last > 5 || (last == 5 && (sticky || mag % 2 == 1));
    mag += u128::from(up);
    round_to_precision(negative, mag, exp, false)
}

fn div(a: Dec, b: Dec) -> Option<Dec> {
    if b.is_zero() {
        return None;
    }
    if a.is_zero() {
        return Some(Dec::ZERO);
    }
    let negative = (a.mant < 0) != (b.mant < 0);
    let (ma, mb) = (a.mant.unsigned_abs(), b.mant.unsigned_abs());
    let mut exp = i64::from(a.exp) - i64::from(b.exp);

    // Long division, one digit at a time, until there is a digit beyond the
    // precision to round with.
    let (mut q, mut r) = (ma / mb, ma % mb);
    while r != 0 && digit_count(q) <= PRECISION {
        r *= 10;
        q = q * 10 + r / mb;
        r %= mb;
        exp -= 1;
    }
    round_to_precision(negative, q, exp, r != 0)
}

/// A 256-bit unsigned integer, just enough for a product of two mantissas.
struct Wide([u64; 4]);

impl Wide {
    fn product(a: u128, b: u128) -> Wide {
        let (a0, a1) = (a as u64, (a >> 64) as u64);
        let (b0, b1) = (b as u64, (b >> 64) as u64);
        let mut limbs = [0u64; 4];
        for (i, x) in [a0, a1].into_iter().enumerate() {
            let mut carry = 0u128;
            for (j, y) in [b0, b1].into_iter().enumerate() {
                let cur = u128::from(limbs[i + j]) + u128::from(x) * u128::from(y) + carry;
                limbs[i + j] = cur as u64;
                carry = cur >> 64;
            }
            limbs[i + 2] = carry as u64;
        }
        Wide(limbs)
    }

    fn fits_precision(&self) -> bool {
        self.0[2] == 0 && self.0[3] == 0 && self.low() < 10u128.pow(PRECISION)
    }

    fn low(&self) -> u128 {
        u128::from(self.0[0]) | (u128::from(self.0[1]) << 64)
    }

    fn div10(&mut self) -> u64 {
        let mut rem = 0u128;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / 10) as u64;
            rem = cur % 10;
        }
        rem as u64
    }
}

/// Reads `-?digits[.digits][e[sign]digits]`, rounding long mantissas.
fn parse_decimal(s: &str, lenient: bool) -> Option<Dec> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (number, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (number, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }

    let exp10 = match exponent {
        None => 0,
        Some(e) => parse_exponent(e, lenient)?,
    };
    let frac = frac.unwrap_or("");
    mantissa_to_dec(negative, whole, frac, exp10)
}

fn parse_exponent(e: &str, lenient: bool) -> Option<i64> {
    let (negative, digits) = match e.as_bytes().first() {
        Some(b'-') => (true, &e[1..]),
        Some(b'+') if lenient => (false, &e[1..]),
        _ => (false, e),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Saturate: anything this large is out of range anyway.
    let value = digits
        .parse::<i64>()
        .unwrap_or(i64::MAX / 4)
        .min(i64::MAX / 4);
    Some(if negative { -value } else { value })
}

fn mantissa_to_dec(negative: bool, whole: &str, frac: &str, exp10: i64) -> Option<Dec> {
    let digits: String = format!("{whole}{frac}");
    let significant = digits.trim_start_matches('0');
    let mut exp = exp10 - frac.len() as i64;
    if significant.is_empty() {
        return Some(Dec::ZERO);
    }

    // Keep 36 digits (enough to round to 34) and note the rest as sticky.
    let keep = significant.len().min(36);
    let (head, rest) = significant.split_at(keep);
    exp += rest.len() as i64;
    let sticky = rest.bytes().any(|b| b != b'0');
    let mag: u128 = head.parse().ok()?;
    round_to_precision(negative, mag, exp, sticky)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse_lenient(s).unwrap_or_else(|| panic!("{s} is a number"))
    }

    #[test]
    fn strict_parsing_follows_the_reference_pattern() {
        for good in ["0", "-1.2", "5E-12", "5e12", "007", "1.50"] {
            assert!(Dec::parse_strict(good).is_some(), "{good}");
        }
        for bad in [
            "", "+1", "1.", ".5", " 1", "1 ", "1e+5", "0x10", "1,5", "NaN", "--1",
        ] {
            assert!(Dec::parse_strict(bad).is_none(), "{bad}");
        }
        assert_eq!(d("1.50"), d("1.5"));
        assert_eq!(d("10.0"), d("10"));
        assert!(d("10.0").is_whole());
    }

    #[test]
    fn arithmetic_is_decimal_not_binary() {
        assert_eq!(d("0.1").add(d("0.2")), Some(d("0.3")));
        assert_eq!(d("1.1").mul(d("1.1")), Some(d("1.21")));
        assert_eq!(d("1").div(d("4")), Some(d("0.25")));
        assert_eq!(d("10").sub(d("0.001")), Some(d("9.999")));
        assert_eq!(d("1").div(d("0")), None);
    }

    #[test]
    fn results_round_half_even_to_34_digits() {
        let third = d("1").div(d("3")).unwrap();
        assert_eq!(third.to_sql_string(), format!("0.{}", "3".repeat(34)));
        let two_thirds = d("2").div(d("3")).unwrap();
        assert_eq!(two_thirds.to_sql_string(), format!("0.{}7", "6".repeat(33)));
        // 35 digits ending in 5: ties go to the even neighbour.
        assert_eq!(d(&format!("1{}5", "0".repeat(33))), d("1e34"));
        let odd = d(&format!("1{}15", "0".repeat(32)));
        assert_eq!(odd, d(&format!("1{}2e1", "0".repeat(32))));
        let big = d(&"9".repeat(34));
        assert_eq!(big.add(d("1")), Some(d("1e34")));
        assert_eq!(d("1e50").sub(d("1")), Some(d("1e50")));
        let wide = d(&"9".repeat(34)).mul(d(&"9".repeat(34))).unwrap();
        assert_eq!(wide.precision_and_exponent(), (34, 67));
    }

    #[test]
    fn out_of_range_is_none() {
        assert_eq!(d("1e999").mul(d("10")), None);
        assert!(Dec::parse_strict("1e1000").is_none());
        assert!(Dec::parse_strict("1e99999999999999999999").is_none());
    }

    #[test]
    fn rounding_functions() {
        let cases = [
            ("1.2", "1", "2", "1", "1"),
            ("-1.2", "-2", "-1", "-1", "-1"),
            ("1.5", "1", "2", "2", "1"),
            ("-1.5", "-2", "-1", "-2", "-1"),
            ("7", "7", "7", "7", "7"),
        ];
        for (x, floor, ceil, round, trunc) in cases {
            assert_eq!(d(x).floor(), d(floor), "floor {x}");
            assert_eq!(d(x).ceil(), d(ceil), "ceil {x}");
            assert_eq!(d(x).round_half_up(), d(round), "round {x}");
            assert_eq!(d(x).trunc(), d(trunc), "trunc {x}");
        }
        assert_eq!(d("2.3123").trunc_places(2), d("2.31"));
        assert_eq!(d("-7").rem(d("2")), Some(d("-1")));
        assert_eq!(d("7.5").rem(d("2")), Some(d("1.5")));
        assert_eq!(d("7").div_trunc(d("2")), Some(d("3")));
        assert_eq!(d("-7").div_trunc(d("2")), Some(d("-3")));
    }

    #[test]
    fn ordering() {
        assert_eq!(d("2").cmp(d("10")), Ordering::Less);
        assert_eq!(d("-2").cmp(d("-10")), Ordering::Greater);
        assert_eq!(d("0.5").cmp(d("0.50")), Ordering::Equal);
        assert_eq!(d("1e-7").cmp(d("0")), Ordering::Greater);
    }

    #[test]
    fn text_forms() {
        let cases = [
            ("10", "10"),
            ("1e3", "1000"),
            ("-0.5", "-0.5"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("1.23e-9", "1.23E-9"),
            ("52.370216", "52.370216"),
        ];
        for (input, text) in cases {
            assert_eq!(d(input).to_sql_string(), text, "{input}");
        }
        assert_eq!(
            Dec::from_f64(52.370216).unwrap().to_sql_string(),
            "52.370216"
        );
        assert_eq!(d("3.3").to_f64(), 3.3);
    }
}
