//! The operators, each following its table in the operators reference:
//! which operand types it accepts, which it converts, and where the answer
//! is `Undefined`.
//!
//! Where a table is silent the choices are: `AND` and `OR` give `Undefined`
//! if either side is not a Boolean (the "Other value" row), without
//! short-circuiting; `Null = Null` and `Boolean = Boolean` compare as values;
//! division or remainder by zero is `Undefined`.

use std::cmp::Ordering;

use super::ast::BinOp;
use super::decimal::Dec;
use super::value::{Value, lookup};

pub(crate) fn binary(op: BinOp, left: &Value, right: &Value) -> Value {
    match op {
        BinOp::And => logical(left, right, |a, b| a && b),
        BinOp::Or => logical(left, right, |a, b| a || b),
        BinOp::Eq => equals(left, right).map_or(Value::Undefined, Value::Bool),
        BinOp::NotEq => equals(left, right).map_or(Value::Undefined, |eq| Value::Bool(!eq)),
        BinOp::Lt => order(left, right, Ordering::is_lt),
        BinOp::LtEq => order(left, right, Ordering::is_le),
        BinOp::Gt => order(left, right, Ordering::is_gt),
        BinOp::GtEq => order(left, right, Ordering::is_ge),
        BinOp::Add => add(left, right),
        BinOp::Sub => arithmetic(left, right, Dec::sub),
        BinOp::Mul => arithmetic(left, right, Dec::mul),
        BinOp::Div => divide(left, right),
        BinOp::Rem => arithmetic(left, right, Dec::rem),
    }
}

/// `NOT`: a Boolean, or a string `"true"`/`"false"` in any case.
pub(crate) fn not(value: &Value) -> Value {
    value
        .to_bool()
        .map_or(Value::Undefined, |b| Value::Bool(!b))
}

/// Unary minus, read as `0 - value`.
pub(crate) fn negate(value: &Value) -> Value {
    arithmetic(&Value::Num(Dec::ZERO), value, Dec::sub)
}

/// `=`: `None` when either side is `Undefined`; values of different types
/// are unequal, with no conversion (`'5' = 5` is false).
pub(crate) fn equals(left: &Value, right: &Value) -> Option<bool> {
    Some(match (left, right) {
        (Value::Undefined, _) | (_, Value::Undefined) => return None,
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Num(a), Value::Num(b)) => a == b,
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equals(x, y) == Some(true))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| lookup(b, k).is_some_and(|y| equals(x, y) == Some(true)))
        }
        _ => false,
    })
}

fn logical(left: &Value, right: &Value, op: fn(bool, bool) -> bool) -> Value {
    match (left.to_bool(), right.to_bool()) {
        (Some(a), Some(b)) => Value::Bool(op(a, b)),
        _ => Value::Undefined,
    }
}

/// `< <= > >=`: both sides converted to Decimal, else `Undefined`.
fn order(left: &Value, right: &Value, test: fn(Ordering) -> bool) -> Value {
    match (left.to_dec(), right.to_dec()) {
        (Some(a), Some(b)) => Value::Bool(test(a.cmp(b))),
        _ => Value::Undefined,
    }
}

/// `+` concatenates when either side is a String, otherwise adds numbers.
fn add(left: &Value, right: &Value) -> Value {
    match (left, right) {
        (Value::Str(a), other) => other
            .to_sql_string()
            .map_or(Value::Undefined, |b| Value::Str(format!("{a}{b}"))),
        (other, Value::Str(b)) => other
            .to_sql_string()
            .map_or(Value::Undefined, |a| Value::Str(format!("{a}{b}"))),
        (Value::Num(a), Value::Num(b)) => Value::num_or_undefined(a.add(*b)),
        _ => Value::Undefined,
    }
}

/// `- * %` (and `/` on decimals): numbers, or strings that convert.
fn arithmetic(left: &Value, right: &Value, op: fn(Dec, Dec) -> Option<Dec>) -> Value {
    match (numeric(left), numeric(right)) {
        (Some(a), Some(b)) => Value::num_or_undefined(op(a, b)),
        _ => Value::Undefined,
    }
}

/// `/`: `Int / Int` truncates; any Decimal or converted String divides
/// exactly (to 34 digits).
fn divide(left: &Value, right: &Value) -> Value {
    match (left, right) {
        (Value::Num(a), Value::Num(b)) if a.is_whole() && b.is_whole() => {
            Value::num_or_undefined(a.div_trunc(*b))
        }
        _ => arithmetic(left, right, Dec::div),
    }
}

fn numeric(value: &Value) -> Option<Dec> {
    match value {
        Value::Num(_) | Value::Str(_) => value.to_dec(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Value {
        Value::Num(Dec::parse_lenient(s).unwrap())
    }
    fn s(text: &str) -> Value {
        Value::Str(text.into())
    }
    const U: Value = Value::Undefined;

    fn check(op: BinOp, cases: &[(Value, Value, Value)]) {
        for (left, right, expected) in cases {
            let got = binary(op, left, right);
            assert_eq!(&got, expected, "{left:?} {} {right:?}", op.symbol());
        }
    }

    #[test]
    fn and_or_not() {
        let t = Value::Bool(true);
        let f = Value::Bool(false);
        check(
            BinOp::And,
            &[
                (t.clone(), t.clone(), t.clone()),
                (t.clone(), f.clone(), f.clone()),
                (s("TRUE"), s("true"), t.clone()),
                (s("yes"), t.clone(), U),
                (f.clone(), U, U),
                (n("1"), t.clone(), U),
            ],
        );
        check(
            BinOp::Or,
            &[
                (f.clone(), t.clone(), t.clone()),
                (f.clone(), s("False"), f.clone()),
                (t.clone(), U, U),
                (Value::Null, f.clone(), U),
            ],
        );
        assert_eq!(not(&t), f);
        assert_eq!(not(&s("false")), t);
        assert_eq!(not(&U), U);
        assert_eq!(not(&n("0")), U);
    }

    #[test]
    fn ordering_converts_to_decimal() {
        let t = Value::Bool(true);
        let f = Value::Bool(false);
        check(
            BinOp::Gt,
            &[
                (n("10"), n("9.5"), t.clone()),
                (s("10"), n("9"), t.clone()),
                (s("10"), s("9"), t.clone()),
                (s("abc"), n("9"), U),
                (n("1"), U, U),
                (Value::Null, n("1"), U),
                (Value::Bool(true), n("0"), U),
            ],
        );
        check(
            BinOp::LtEq,
            &[(n("2"), n("2.0"), t.clone()), (n("3"), s("2"), f)],
        );
        check(BinOp::GtEq, &[(s("-1.5"), n("-1.5"), t)]);
    }

    #[test]
    fn equality_does_not_convert() {
        let t = Value::Bool(true);
        let f = Value::Bool(false);
        let arr = |items: Vec<Value>| Value::Array(items);
        let obj = |fields: Vec<(&str, Value)>| {
            Value::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            )
        };
        check(
            BinOp::Eq,
            &[
                (n("1"), n("1.0"), t.clone()),
                (n("1.5"), n("1.50"), t.clone()),
                (s("5"), n("5"), f.clone()),
                (s("a"), s("a"), t.clone()),
                (
                    arr(vec![n("1"), n("2")]),
                    arr(vec![n("1"), n("2")]),
                    t.clone(),
                ),
                (
                    arr(vec![n("1"), n("2")]),
                    arr(vec![n("2"), n("1")]),
                    f.clone(),
                ),
                (
                    obj(vec![("a", n("1")), ("b", n("2"))]),
                    obj(vec![("b", n("2")), ("a", n("1"))]),
                    t.clone(),
                ),
                (Value::Null, Value::Null, t.clone()),
                (Value::Null, n("0"), f.clone()),
                (U, U, U),
                (n("1"), U, U),
            ],
        );
        check(
            BinOp::NotEq,
            &[
                (Value::Null, Value::Null, f.clone()),
                (s("5"), n("5"), t.clone()),
                (n("2"), n("3"), t),
                (U, n("3"), U),
            ],
        );
    }

    #[test]
    fn plus_concatenates_or_adds() {
        check(
            BinOp::Add,
            &[
                (n("1"), n("2"), n("3")),
                (n("0.1"), n("0.2"), n("0.3")),
                (s("a"), n("1"), s("a1")),
                (n("5"), s("3"), s("53")),
                (s("a"), Value::Bool(true), s("atrue")),
                (s("a"), Value::Array(vec![n("1")]), s("a[1]")),
                (s("a"), Value::Null, U),
                (s("a"), U, U),
                (n("1"), Value::Bool(true), U),
                (n("1"), U, U),
            ],
        );
    }

    #[test]
    fn other_arithmetic_converts_strings() {
        check(
            BinOp::Sub,
            &[
                (n("5"), n("7"), n("-2")),
                (s("5"), n("0.5"), n("4.5")),
                (s("x"), n("1"), U),
            ],
        );
        check(
            BinOp::Mul,
            &[
                (n("1.5"), n("2"), n("3")),
                (s("2"), s("3"), n("6")),
                (Value::Null, n("1"), U),
            ],
        );
        check(
            BinOp::Div,
            &[
                (n("7"), n("2"), n("3")),
                (n("-7"), n("2"), n("-3")),
                (n("7.5"), n("2.5"), n("3")),
                (n("7"), n("2.5"), n("2.8")),
                (s("7"), n("2"), n("3.5")),
                (n("1"), n("0"), U),
                (n("1"), n("0.0"), U),
            ],
        );
        check(
            BinOp::Rem,
            &[
                (n("8"), n("3"), n("2")),
                (n("-8"), n("3"), n("-2")),
                (n("8.5"), n("3"), n("2.5")),
                (s("8"), n("3"), n("2")),
                (n("8"), n("0"), U),
            ],
        );
        assert_eq!(negate(&n("5")), n("-5"));
        assert_eq!(negate(&s("5")), n("-5"));
        assert_eq!(negate(&Value::Bool(true)), U);
    }
}
