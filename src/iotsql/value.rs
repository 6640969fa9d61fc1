//! The values an IoT SQL expression computes, including `Undefined`, and the
//! "standard conversions" of the data types reference that operators and
//! functions apply when given a value of another type.
//!
//! Objects keep their keys in insertion order, as the payload had them, so a
//! `SELECT *` result reads like its input.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value as Json};

use super::decimal::Dec;

/// How deep a payload may nest before it is refused rather than walked.
pub(crate) const MAX_JSON_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Not a value: a missing field, or a function given bad arguments.
    Undefined,
    Null,
    Bool(bool),
    /// `Int` when whole, `Decimal` otherwise (SQL 2016-03-23 treats `10.0` as
    /// `10`).
    Num(Dec),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// A value that cannot become JSON, or a payload that cannot become a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonProblem {
    /// A number beyond what JSON (as `f64`) can carry.
    NumberOutOfRange(String),
    /// A payload nested deeper than [`MAX_JSON_DEPTH`].
    TooDeep,
}

impl Value {
    pub fn int(n: i64) -> Value {
        Value::Num(Dec::from_i64(n))
    }

    pub fn num_or_undefined(n: Option<Dec>) -> Value {
        n.map_or(Value::Undefined, Value::Num)
    }

    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// The reference's name for the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Undefined => "Undefined",
            Value::Null => "Null",
            Value::Bool(_) => "Boolean",
            Value::Num(d) if d.is_whole() => "Int",
            Value::Num(_) => "Decimal",
            Value::Str(_) => "String",
            Value::Array(_) => "Array",
            Value::Object(_) => "Object",
        }
    }

    pub fn field(&self, name: &str) -> Value {
        match self {
            Value::Object(fields) => lookup(fields, name).cloned().unwrap_or(Value::Undefined),
            _ => Value::Undefined,
        }
    }

    /// Converts a payload; numbers become exact decimals of their JSON text.
    pub fn from_json(json: &Json) -> Result<Value, JsonProblem> {
        from_json_at(json, 0)
    }

    /// The JSON form; `None` for `Undefined`, which JSON leaves out.
    pub fn to_json(&self) -> Result<Option<Json>, JsonProblem> {
        Ok(Some(match self {
            Value::Undefined => return Ok(None),
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Num(d) => Json::Number(number_to_json(*d)?),
            Value::Str(s) => Json::String(s.clone()),
            Value::Array(items) => Json::Array(array_to_json(items)?),
            Value::Object(fields) => Json::Object(object_to_json(fields)?),
        }))
    }

    /// The "To Decimal" conversion: numbers as they are, strings that look
    /// like numbers; everything else has no decimal value.
    pub fn to_dec(&self) -> Option<Dec> {
        match self {
            Value::Num(d) => Some(*d),
            Value::Str(s) => Dec::parse_strict(s),
            _ => None,
        }
    }

    /// The conversion to `Boolean` that `AND`, `OR` and `NOT` apply.
    pub fn to_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Str(s) => parse_bool(s),
            _ => None,
        }
    }

    /// The "To String" conversion; `Null` and `Undefined` have none.
    pub fn to_sql_string(&self) -> Option<String> {
        match self {
            Value::Undefined | Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            other => Some(other.to_json_text()),
        }
    }

    /// Compact JSON text, numbers written as IoT SQL writes them.
    pub fn to_json_text(&self) -> String {
        let mut out = String::new();
        write_json(self, &mut out);
        out
    }
}

pub(crate) fn lookup<'a>(fields: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Sets a field, replacing an earlier one of the same name in place.
pub(crate) fn insert(fields: &mut Vec<(String, Value)>, name: String, value: Value) {
    match fields.iter_mut().find(|(k, _)| *k == name) {
        Some(slot) => slot.1 = value,
        None => fields.push((name, value)),
    }
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn from_json_at(json: &Json, depth: usize) -> Result<Value, JsonProblem> {
    if depth > MAX_JSON_DEPTH {
        return Err(JsonProblem::TooDeep);
    }
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => number_from_json(n),
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| from_json_at(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (k, v) in map {
                fields.push((k.clone(), from_json_at(v, depth + 1)?));
            }
            Value::Object(fields)
        }
    })
}

fn number_from_json(n: &Number) -> Value {
    let dec = if let Some(i) = n.as_i64() {
        Some(Dec::from_i64(i))
    } else if let Some(u) = n.as_u64() {
        Dec::from_i128(i128::from(u))
    } else {
        n.as_f64().and_then(Dec::from_f64)
    };
    Value::num_or_undefined(dec)
}

fn number_to_json(d: Dec) -> Result<Number, JsonProblem> {
    if let Some(i) = d.to_i128() {
        if let Ok(small) = i64::try_from(i) {
            return Ok(Number::from(small));
        }
        if let Ok(unsigned) = u64::try_from(i) {
            return Ok(Number::from(unsigned));
        }
    }
    Number::from_f64(d.to_f64())
        .filter(|_| d.to_f64().is_finite())
        .ok_or_else(|| JsonProblem::NumberOutOfRange(d.to_sql_string()))
}

fn array_to_json(items: &[Value]) -> Result<Vec<Json>, JsonProblem> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.extend(item.to_json()?);
    }
    Ok(out)
}

fn object_to_json(fields: &[(String, Value)]) -> Result<Map<String, Json>, JsonProblem> {
    let mut out = Map::new();
    for (k, v) in fields {
        if let Some(json) = v.to_json()? {
            out.insert(k.clone(), json);
        }
    }
    Ok(out)
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Undefined => {}
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(d) => out.push_str(&d.to_sql_string()),
        Value::Str(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            let present = items.iter().filter(|v| !v.is_undefined());
            for (i, item) in present.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            let present = fields.iter().filter(|(_, v)| !v.is_undefined());
            for (i, (k, v)) in present.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip_keeps_order_and_drops_undefined() {
        let payload = json!({"b": 1, "a": [1.5, "x", null, true], "c": {"d": -2}});
        let value = Value::from_json(&payload).unwrap();
        assert_eq!(value.to_json().unwrap(), Some(payload));

        let with_hole = Value::Object(vec![
            ("a".into(), Value::Undefined),
            (
                "b".into(),
                Value::Array(vec![Value::Undefined, Value::int(1)]),
            ),
        ]);
        assert_eq!(with_hole.to_json().unwrap(), Some(json!({"b": [1]})));
        assert_eq!(Value::Undefined.to_json().unwrap(), None);
    }

    #[test]
    fn whole_decimals_are_ints() {
        let value = Value::from_json(&json!(10.0)).unwrap();
        assert_eq!(value.type_name(), "Int");
        assert_eq!(value.to_json().unwrap(), Some(json!(10)));
    }

    #[test]
    fn string_conversion_table() {
        let cases = [
            (Value::int(5), Some("5")),
            (
                Value::Num(Dec::parse_strict("0.0000001").unwrap()),
                Some("1E-7"),
            ),
            (Value::Bool(false), Some("false")),
            (Value::Str("x".into()), Some("x")),
            (
                Value::Array(vec![Value::Str("HELLO".into()), Value::Null]),
                Some("[\"HELLO\",null]"),
            ),
            (
                Value::Object(vec![("k".into(), Value::Bool(true))]),
                Some("{\"k\":true}"),
            ),
            (Value::Null, None),
            (Value::Undefined, None),
        ];
        for (value, text) in cases {
            assert_eq!(value.to_sql_string().as_deref(), text, "{value:?}");
        }
    }

    #[test]
    fn decimal_and_boolean_conversions() {
        assert_eq!(
            Value::Str("-1.2".into()).to_dec(),
            Dec::parse_strict("-1.2")
        );
        assert_eq!(Value::Str("abc".into()).to_dec(), None);
        assert_eq!(Value::Bool(true).to_dec(), None);
        assert_eq!(Value::Null.to_dec(), None);
        assert_eq!(Value::Str("TRUE".into()).to_bool(), Some(true));
        assert_eq!(Value::Str("yes".into()).to_bool(), None);
        assert_eq!(Value::int(1).to_bool(), None);
    }

    #[test]
    fn deep_payloads_are_refused() {
        let mut deep = json!(1);
        for _ in 0..(MAX_JSON_DEPTH + 2) {
            deep = json!([deep]);
        }
        assert_eq!(Value::from_json(&deep), Err(JsonProblem::TooDeep));
    }
}
