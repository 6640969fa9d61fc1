//! The item the DynamoDBv2 rule action writes for a rule's result, and the
//! checks `PutItem` would make on it.
//!
//! The action writes each top-level key of the result as its own attribute,
//! typed as the JSON value is: strings `S`, numbers `N`, booleans `BOOL`,
//! `null` `NULL`, objects `M`, arrays `L`. The reference does not spell the
//! mapping out; this is DynamoDB's own JSON mapping, which the action's
//! "each attribute in its own column" describes. A key attribute that is
//! missing, of the wrong type or an empty string fails the write, as a
//! number DynamoDB cannot store does (38 digits, magnitude 1E-130 to
//! 9.99E+125), or nesting past 32 levels.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::decimal::Dec;

/// DynamoDB's limit on nested maps and lists.
const MAX_NESTING: usize = 32;

/// One attribute value in DynamoDB's type system.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    S(String),
    /// A number, as the text DynamoDB stores.
    N(String),
    Bool(bool),
    Null,
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
}

impl AttributeValue {
    /// The type's letter in DynamoDB's API (`S`, `N`, `BOOL`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
        }
    }
}

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// The type of a key attribute, as the table defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    S,
    N,
}

impl KeyType {
    fn name(self) -> &'static str {
        match self {
            KeyType::S => "S",
            KeyType::N => "N",
        }
    }
}

/// Why `PutItem` would refuse the item.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ItemError {
    #[error("the result has no key attribute `{name}`; the table's key needs it on every item")]
    MissingKey { name: String },
    #[error("key attribute `{name}` must be of type {expected}, the result gives it {found}")]
    KeyType {
        name: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("key attribute `{name}` is an empty string, which DynamoDB refuses for keys")]
    EmptyKey { name: String },
    #[error("attribute `{path}` holds {value}, a number DynamoDB cannot store")]
    Number { path: String, value: String },
    #[error("attribute `{path}` nests deeper than DynamoDB's {MAX_NESTING} levels")]
    TooDeep { path: String },
    #[error("an attribute name inside `{path}` is empty, which DynamoDB refuses")]
    EmptyName { path: String },
}

/// The item DynamoDBv2 would put for `result`, checked against the table's
/// key attributes.
pub fn dynamodb_item(
    result: &Map<String, Json>,
    keys: &[(&str, KeyType)],
) -> Result<Item, ItemError> {
    let item = map(result, "", 0)?;
    for (name, expected) in keys {
        check_key(&item, name, *expected)?;
    }
    Ok(item)
}

fn check_key(item: &Item, name: &str, expected: KeyType) -> Result<(), ItemError> {
    let value = item.get(name).ok_or_else(|| ItemError::MissingKey {
        name: name.to_string(),
    })?;
    let matches = matches!(
        (value, expected),
        (AttributeValue::S(_), KeyType::S) | (AttributeValue::N(_), KeyType::N)
    );
    if !matches {
        return Err(ItemError::KeyType {
            name: name.to_string(),
            expected: expected.name(),
            found: value.type_name(),
        });
    }
    if *value == AttributeValue::S(String::new()) {
        return Err(ItemError::EmptyKey {
            name: name.to_string(),
        });
    }
    Ok(())
}

fn map(fields: &Map<String, Json>, path: &str, depth: usize) -> Result<Item, ItemError> {
    let mut out = Item::new();
    for (name, value) in fields {
        if name.is_empty() {
            return Err(ItemError::EmptyName {
                path: path.to_string(),
            });
        }
        let child = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        out.insert(name.clone(), attribute(value, &child, depth)?);
    }
    Ok(out)
}

fn attribute(value: &Json, path: &str, depth: usize) -> Result<AttributeValue, ItemError> {
    let nested = |depth: usize| {
        if depth >= MAX_NESTING {
            Err(ItemError::TooDeep {
                path: path.to_string(),
            })
        } else {
            Ok(depth + 1)
        }
    };
    Ok(match value {
        Json::Null => AttributeValue::Null,
        Json::Bool(b) => AttributeValue::Bool(*b),
        Json::String(s) => AttributeValue::S(s.clone()),
        Json::Number(n) => AttributeValue::N(number(n, path)?),
        Json::Array(items) => {
            let depth = nested(depth)?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(attribute(item, &format!("{path}[{i}]"), depth)?);
            }
            AttributeValue::L(out)
        }
        Json::Object(fields) => AttributeValue::M(map(fields, path, nested(depth)?)?),
    })
}

/// A JSON number as DynamoDB's number text, if DynamoDB can hold it.
fn number(n: &serde_json::Number, path: &str) -> Result<String, ItemError> {
    let refuse = || ItemError::Number {
        path: path.to_string(),
        value: n.to_string(),
    };
    if n.is_i64() || n.is_u64() {
        return Ok(n.to_string());
    }
    let dec = n.as_f64().and_then(Dec::from_f64).ok_or_else(refuse)?;
    let (digits, exponent) = dec.precision_and_exponent();
    if dec.is_zero() || (digits <= 38 && (-130..=125).contains(&exponent)) {
        Ok(dec.to_sql_string())
    } else {
        Err(refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            _ => unreachable!("tests pass objects"),
        }
    }

    const KEYS: [(&str, KeyType); 2] = [("device_id", KeyType::S), ("time", KeyType::N)];

    #[test]
    fn maps_each_json_type() {
        let result = object(json!({
            "device_id": "snowy", "time": 1_796_120_130_000_i64, "lat": 52.370216,
            "ok": true, "gone": null, "tags": ["a", 1], "at": {"x": -0.5},
        }));
        let item = dynamodb_item(&result, &KEYS).unwrap();
        let expected: Item = [
            ("device_id", AttributeValue::S("snowy".into())),
            ("time", AttributeValue::N("1796120130000".into())),
            ("lat", AttributeValue::N("52.370216".into())),
            ("ok", AttributeValue::Bool(true)),
            ("gone", AttributeValue::Null),
            (
                "tags",
                AttributeValue::L(vec![
                    AttributeValue::S("a".into()),
                    AttributeValue::N("1".into()),
                ]),
            ),
            (
                "at",
                AttributeValue::M([("x".to_string(), AttributeValue::N("-0.5".into()))].into()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(item, expected);
    }

    #[test]
    fn fails_like_put_item() {
        let cases = [
            (json!({"time": 1}), "no key attribute `device_id`"),
            (
                json!({"device_id": "a", "time": "1"}),
                "must be of type N, the result gives it S",
            ),
            (json!({"device_id": 7, "time": 1}), "must be of type S"),
            (json!({"device_id": "", "time": 1}), "empty string"),
            (
                json!({"device_id": "a", "time": 1, "big": 1e200}),
                "`big` holds",
            ),
            (
                json!({"device_id": "a", "time": 1, "m": {"": 1}}),
                "inside `m` is empty",
            ),
        ];
        for (result, message) in cases {
            let err = dynamodb_item(&object(result), &KEYS).unwrap_err();
            assert!(err.to_string().contains(message), "{err}");
        }
    }

    #[test]
    fn nesting_is_limited() {
        let mut deep = json!(1);
        for _ in 0..MAX_NESTING + 1 {
            deep = json!([deep]);
        }
        let result = object(json!({"device_id": "a", "time": 1, "deep": deep}));
        assert!(matches!(
            dynamodb_item(&result, &KEYS),
            Err(ItemError::TooDeep { .. })
        ));
    }
}
