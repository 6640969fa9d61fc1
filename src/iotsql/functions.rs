//! The built-in functions: which names exist, which of them this evaluator
//! implements, and each implementation, following its table in the
//! functions reference.
//!
//! As the data types reference says, a function given arguments of the
//! wrong type or number returns `Undefined`. Functions that call other AWS
//! services (`aws_lambda`, `get_dynamodb`, ...) or that this evaluator does
//! not implement are refused when the statement is parsed, so a rule that
//! uses them can never be silently misevaluated. String positions count
//! UTF-16 code units, as the Java strings of the rules engine do.

use super::ast::CastType;
use super::codec;
use super::decimal::Dec;
use super::time::{self, Dialect, ParseFailure};
use super::value::{Value, insert};
use super::{Context, EvalError, SqlError, ast::Expr, ast::ExprKind};

/// Functions of the reference that are implemented here.
const IMPLEMENTED: &[&str] = &[
    "abs",
    "accountid",
    "acos",
    "asin",
    "atan",
    "atan2",
    "bitand",
    "bitnot",
    "bitor",
    "bitxor",
    "cast",
    "ceil",
    "chr",
    "clientid",
    "concat",
    "cos",
    "cosh",
    "decode",
    "encode",
    "endswith",
    "exp",
    "floor",
    "get",
    "indexof",
    "isnull",
    "isundefined",
    "length",
    "ln",
    "log",
    "lower",
    "lpad",
    "ltrim",
    "mod",
    "nanvl",
    "newuuid",
    "numbytes",
    "parse_time",
    "power",
    "principal",
    "rand",
    "remainder",
    "replace",
    "round",
    "rpad",
    "rtrim",
    "sign",
    "sin",
    "sinh",
    "sql_version",
    "sqrt",
    "startswith",
    "substring",
    "tan",
    "tanh",
    "time_to_epoch",
    "timestamp",
    "topic",
    "traceid",
    "transform",
    "trim",
    "trunc",
    "upper",
];

/// Functions of the reference that this evaluator refuses: they reach other
/// services, or need machinery (hashes, Java regular expressions) not here.
const UNSUPPORTED: &[&str] = &[
    "aws_lambda",
    "get_dynamodb",
    "get_mqtt_property",
    "get_registry_data",
    "get_secret",
    "get_thing_shadow",
    "machinelearning_predict",
    "md2",
    "md5",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "regexp_matches",
    "regexp_replace",
    "regexp_substr",
    "sourceip",
    "get_user_properties",
];

/// Names from other SQL dialects that people reach for, and IoT SQL's word.
const FAMILIAR: [(&str, &str); 6] = [
    ("strlen", "length"),
    ("len", "length"),
    ("substr", "substring"),
    ("now", "timestamp"),
    ("uuid", "newuuid"),
    ("coalesce", "nanvl"),
];

pub(crate) enum Lookup {
    Known(&'static str),
    Unsupported,
    /// Not an IoT SQL function; maybe a suggestion.
    Unknown(Option<String>),
}

/// Finds a function by name; names are not case-sensitive (the reference
/// writes both `round` and `Round`).
pub(crate) fn lookup(name: &str) -> Lookup {
    let lower = name.to_ascii_lowercase();
    if let Some(known) = IMPLEMENTED.iter().find(|f| **f == lower) {
        return Lookup::Known(known);
    }
    if UNSUPPORTED.contains(&lower.as_str()) {
        return Lookup::Unsupported;
    }
    let familiar = FAMILIAR.iter().find(|(other, _)| *other == lower);
    let suggestion = familiar.map(|(_, ours)| (*ours).to_string()).or_else(|| {
        IMPLEMENTED
            .iter()
            .map(|f| (strsim::levenshtein(f, &lower), *f))
            .filter(|(distance, _)| *distance <= 2)
            .min()
            .map(|(_, f)| f.to_string())
    });
    Lookup::Unknown(suggestion)
}

/// Checks arguments that are literals and that the reference restricts,
/// so that a rule that would fail on every message fails to parse instead.
pub(crate) fn check_literal_arguments(
    name: &str,
    args: &[Expr],
    at: usize,
) -> Result<(), SqlError> {
    let literal = |i: usize| match args.get(i).map(|e| &e.kind) {
        Some(ExprKind::Literal(Value::Str(s))) => Some(s.as_str()),
        _ => None,
    };
    let unsupported = |construct: String| SqlError::unsupported(at, &construct, "");
    match name {
        "encode" | "decode" => match literal(1) {
            Some(scheme) if scheme != "base64" => {
                let construct = format!("{name} scheme `{scheme}`");
                Err(SqlError::unsupported(
                    at,
                    &construct,
                    "only 'base64' is defined",
                ))
            }
            _ => Ok(()),
        },
        "time_to_epoch" => check_pattern(literal(1), Dialect::Jdk).map_err(unsupported),
        "parse_time" => {
            check_pattern(literal(0), Dialect::Joda).map_err(unsupported)?;
            match literal(2) {
                Some(zone) => time::zone(zone).map(|_| ()).map_err(unsupported),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn check_pattern(pattern: Option<&str>, dialect: Dialect) -> Result<(), String> {
    pattern.map_or(Ok(()), |p| time::compile(p, dialect).map(|_| ()))
}

/// What a call needs besides its arguments.
pub(crate) struct CallSite<'a> {
    pub ctx: &'a Context,
    /// Where the call starts in the statement, for errors.
    pub at: usize,
}

/// Calls an implemented function (a name [`lookup`] returned).
pub(crate) fn call(name: &str, args: &[Value], site: &CallSite) -> Result<Value, EvalError> {
    let value = match (name, args) {
        ("accountid" | "clientid" | "principal" | "traceid" | "timestamp", []) => {
            return context_value(name, site);
        }
        ("topic", _) => topic(args, site.ctx),
        ("sql_version", []) => Value::Str("2016-03-23".into()),
        ("newuuid", []) => Value::Str(codec::uuid_v4()),
        ("rand", []) => rand(),
        ("isnull", [v]) => Value::Bool(matches!(v, Value::Null)),
        ("isundefined", [v]) => Value::Bool(v.is_undefined()),
        ("nanvl", [a, b]) => nanvl(a, b),
        ("get", [collection, key]) => get(collection, key),
        ("concat", _) => concat(args),
        ("transform", [mode, object, array]) => transform(mode, object, array),
        ("parse_time", _) => return parse_time(args, site),
        ("time_to_epoch", [text, pattern]) => return time_to_epoch(text, pattern, site),
        _ => numeric(name, args)
            .or_else(|| textual(name, args))
            .unwrap_or(Value::Undefined),
    };
    Ok(value)
}

fn context_value(name: &str, site: &CallSite) -> Result<Value, EvalError> {
    let ctx = site.ctx;
    let missing = |function: &'static str| EvalError::MissingContext {
        at: site.at,
        function,
    };
    Ok(match name {
        "accountid" => Value::Str(ctx.account_id.clone().ok_or(missing("accountid()"))?),
        "principal" => Value::Str(ctx.principal.clone().ok_or(missing("principal()"))?),
        "clientid" => Value::Str(ctx.client_id.clone().unwrap_or_else(|| "n/a".into())),
        "traceid" => ctx.trace_id.clone().map_or(Value::Undefined, Value::Str),
        _ => Value::int(ctx.timestamp_ms),
    })
}

fn topic(args: &[Value], ctx: &Context) -> Value {
    let topic = super::topic::visible_topic(&ctx.topic);
    match args {
        [] => Value::Str(topic.to_string()),
        [n] => {
            let Some(index) = n.to_dec().map(Dec::floor_i64) else {
                return Value::Undefined;
            };
            let level = index.checked_sub(1).and_then(|i| usize::try_from(i).ok());
            level
                .and_then(|i| topic.split('/').nth(i))
                .map_or(Value::Undefined, |s| Value::Str(s.to_string()))
        }
        _ => Value::Undefined,
    }
}

fn rand() -> Value {
    // 53 random bits make a double in [0, 1), as Java's Math.random does.
    let bits = codec::random_u64() >> 11;
    Value::num_or_undefined(Dec::from_f64(bits as f64 / (1u64 << 53) as f64))
}

fn nanvl(a: &Value, b: &Value) -> Value {
    match a {
        Value::Undefined | Value::Null => b.clone(),
        other => other.clone(),
    }
}

/// `get`: an array element or string character by 0-based index (the
/// index converted to Int), or an object's value by string key.
fn get(collection: &Value, key: &Value) -> Value {
    match (collection, key) {
        (Value::Array(items), key) => index_of(key)
            .and_then(|i| items.get(i))
            .cloned()
            .unwrap_or(Value::Undefined),
        (Value::Str(s), key) => index_of(key)
            .and_then(|i| utf16_slice(s, i, i + 1).filter(|c| !c.is_empty()))
            .map_or(Value::Undefined, Value::Str),
        (Value::Object(_), Value::Str(name)) => collection.field(name),
        _ => Value::Undefined,
    }
}

/// The "To Int" conversion for an index: Decimals round to the nearest Int.
fn index_of(key: &Value) -> Option<usize> {
    let n = match key {
        Value::Num(d) => d.round_half_up(),
        Value::Str(s) => Dec::parse_strict(s)?.trunc(),
        _ => return None,
    };
    usize::try_from(n.to_i128()?).ok()
}

fn concat(args: &[Value]) -> Value {
    if args.iter().any(Value::is_undefined) {
        return Value::Undefined;
    }
    match args {
        [] => Value::Undefined,
        [Value::Array(_) | Value::Object(_)] => args[0].clone(),
        _ if args.iter().any(|a| matches!(a, Value::Array(_))) => {
            let mut items = Vec::new();
            for arg in args {
                match arg {
                    Value::Array(inner) => items.extend(inner.iter().cloned()),
                    other => items.push(other.clone()),
                }
            }
            Value::Array(items)
        }
        _ => args
            .iter()
            .map(Value::to_sql_string)
            .collect::<Option<String>>()
            .map_or(Value::Undefined, Value::Str),
    }
}

fn transform(mode: &Value, object: &Value, array: &Value) -> Value {
    let (Value::Str(mode), Value::Object(extra), Value::Array(items)) = (mode, object, array)
    else {
        return Value::Undefined;
    };
    if mode != "enrichArray" {
        return Value::Undefined;
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(fields) = item else {
            return Value::Undefined;
        };
        let mut fields = fields.clone();
        for (k, v) in extra {
            insert(&mut fields, k.clone(), v.clone());
        }
        out.push(Value::Object(fields));
    }
    Value::Array(out)
}

/// Functions of numbers; strings that look like numbers are converted.
fn numeric(name: &str, args: &[Value]) -> Option<Value> {
    let dec = |i: usize| args.get(i).and_then(Value::to_dec);
    let value = match (name, args.len()) {
        ("abs", 1) => Value::Num(dec(0)?.abs()),
        ("ceil", 1) => Value::Num(dec(0)?.ceil()),
        ("floor", 1) => Value::Num(dec(0)?.floor()),
        ("round", 1) => Value::Num(dec(0)?.round_half_up()),
        ("sign", 1) => Value::int(dec(0)?.signum()),
        ("trunc", 2) => {
            let places = dec(1)?.floor_i64().clamp(0, 34) as u32;
            Value::Num(dec(0)?.trunc_places(places))
        }
        ("mod" | "remainder", 2) => super::ops::binary(super::ast::BinOp::Rem, &args[0], &args[1]),
        ("bitand" | "bitor" | "bitxor", 2) => bitwise(name, dec(0)?, dec(1)?),
        ("bitnot", 1) => Value::int(!dec(0)?.floor_i64()),
        ("chr", 1) => chr(dec(0)?),
        _ => return double(name, args),
    };
    Some(value)
}

fn bitwise(name: &str, a: Dec, b: Dec) -> Value {
    let (a, b) = (a.floor_i64(), b.floor_i64());
    Value::int(match name {
        "bitand" => a & b,
        "bitor" => a | b,
        _ => a ^ b,
    })
}

fn chr(code: Dec) -> Value {
    let code = code.floor_i64();
    u8::try_from(code)
        .ok()
        .filter(u8::is_ascii)
        .map_or(Value::Undefined, |b| Value::Str(char::from(b).to_string()))
}

/// Functions computed in double precision, as the reference says they are.
fn double(name: &str, args: &[Value]) -> Option<Value> {
    let f = |i: usize| args.get(i).and_then(Value::to_dec).map(Dec::to_f64);
    let result = match (name, args.len()) {
        ("atan2", 2) => f(0)?.atan2(f(1)?),
        ("power", 2) => f(0)?.powf(f(1)?),
        (_, 1) => {
            let x = f(0)?;
            match name {
                "acos" => x.acos(),
                "asin" => x.asin(),
                "atan" => x.atan(),
                "cos" => x.cos(),
                "cosh" => x.cosh(),
                "exp" => x.exp(),
                "ln" => x.ln(),
                "log" => x.log10(),
                "sin" => x.sin(),
                "sinh" => x.sinh(),
                "sqrt" => x.sqrt(),
                "tan" => x.tan(),
                "tanh" => x.tanh(),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(Value::num_or_undefined(Dec::from_f64(result)))
}

/// Functions of strings; other arguments get the standard conversion to
/// String, and `Null` or `Undefined` make the result `Undefined`.
fn textual(name: &str, args: &[Value]) -> Option<Value> {
    let text = |i: usize| args.get(i).and_then(Value::to_sql_string);
    let value = match (name, args.len()) {
        ("lower", 1) => Value::Str(text(0)?.to_lowercase()),
        ("upper", 1) => Value::Str(text(0)?.to_uppercase()),
        ("length", 1) => Value::int(text(0)?.encode_utf16().count() as i64),
        ("numbytes", 1) => Value::int(text(0)?.len() as i64),
        ("trim", 1) => Value::Str(text(0)?.trim_matches(|c: char| c <= ' ').to_string()),
        ("ltrim", 1) => Value::Str(text(0)?.trim_start_matches([' ', '\t']).to_string()),
        ("rtrim", 1) => Value::Str(text(0)?.trim_end_matches([' ', '\t']).to_string()),
        ("startswith", 2) => Value::Bool(text(0)?.starts_with(&text(1)?)),
        ("endswith", 2) => Value::Bool(text(0)?.ends_with(&text(1)?)),
        ("indexof", 2) => Value::int(utf16_find(&text(0)?, &text(1)?)),
        ("replace", 3) => Value::Str(text(0)?.replace(&text(1)?, &text(2)?)),
        ("lpad" | "rpad", 2) => pad(name, text(0)?, &args[1])?,
        ("substring", 2 | 3) => substring(&text(0)?, &args[1..])?,
        ("encode", 2) => encode(text(0)?.as_bytes(), &args[1]),
        ("decode", 2) => decode(&args[0], &args[1]),
        _ => return None,
    };
    Some(value)
}

fn pad(name: &str, text: String, width: &Value) -> Option<Value> {
    let width = match width {
        Value::Num(_) | Value::Str(_) => width.to_dec()?.floor_i64().clamp(0, 1000) as usize,
        _ => return None,
    };
    let spaces = " ".repeat(width);
    Some(Value::Str(if name == "lpad" {
        spaces + &text
    } else {
        text + &spaces
    }))
}

/// `substring(s, from[, to])`: 0-based, `to` exclusive; indices below zero
/// count as zero and past the end as the end; `from >= to` is empty.
/// Decimal indices are rounded down (`substring("012345", 2.745)` is
/// `"2345"`).
fn substring(text: &str, bounds: &[Value]) -> Option<Value> {
    let len = text.encode_utf16().count() as i64;
    let index = |v: &Value| -> Option<usize> {
        let n = v.to_dec()?.floor_i64().clamp(0, len);
        usize::try_from(n).ok()
    };
    let from = index(&bounds[0])?;
    let to = match bounds.get(1) {
        Some(v) => index(v)?,
        None => len as usize,
    };
    if from >= to {
        return Some(Value::Str(String::new()));
    }
    utf16_slice(text, from, to).map(Value::Str)
}

fn utf16_slice(text: &str, from: usize, to: usize) -> Option<String> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let slice = units.get(from..to.min(units.len()))?;
    Some(String::from_utf16_lossy(slice))
}

fn utf16_find(haystack: &str, needle: &str) -> i64 {
    match haystack.find(needle) {
        Some(byte) => haystack[..byte].encode_utf16().count() as i64,
        None => -1,
    }
}

fn is_base64(scheme: &Value) -> bool {
    matches!(scheme, Value::Str(s) if s == "base64")
}

pub(crate) fn encode(bytes: &[u8], scheme: &Value) -> Value {
    if !is_base64(scheme) {
        return Value::Undefined;
    }
    Value::Str(codec::base64_encode(bytes))
}

/// `decode`: a JSON document decodes to its value, other text to a string;
/// what is not base64 decodes to `Null`.
fn decode(encoded: &Value, scheme: &Value) -> Value {
    let Value::Str(text) = encoded else {
        return Value::Undefined;
    };
    if !is_base64(scheme) {
        return Value::Undefined;
    }
    let Some(bytes) = codec::base64_decode(text) else {
        return Value::Null;
    };
    let decoded = String::from_utf8_lossy(&bytes).into_owned();
    serde_json::from_str::<serde_json::Value>(&decoded)
        .ok()
        .and_then(|json| Value::from_json(&json).ok())
        .unwrap_or(Value::Str(decoded))
}

fn parse_time(args: &[Value], site: &CallSite) -> Result<Value, EvalError> {
    let (pattern, millis, zone) = match args {
        [p, m] => (p, m, None),
        [p, m, z] => (p, m, Some(z)),
        _ => return Ok(Value::Undefined),
    };
    let (Some(pattern), Some(millis)) = (pattern.to_sql_string(), millis.to_dec()) else {
        return Ok(Value::Undefined);
    };
    let unsupported = |construct| EvalError::Unsupported {
        at: site.at,
        construct,
    };
    let items = time::compile(&pattern, Dialect::Joda).map_err(unsupported)?;
    let zone = match zone.map(Value::to_sql_string) {
        None => time::Zone::utc(),
        Some(None) => return Ok(Value::Undefined),
        Some(Some(id)) => time::zone(&id).map_err(unsupported)?,
    };

    // Beyond ±273,000 years the calendar arithmetic would overflow.
    let millis = millis.trunc().floor_i64();
    if millis.unsigned_abs() > 8_640_000_000_000_000 {
        return Ok(Value::Undefined);
    }
    Ok(Value::Str(time::format(&items, millis, &zone)))
}

fn time_to_epoch(text: &Value, pattern: &Value, site: &CallSite) -> Result<Value, EvalError> {
    let (Some(text), Some(pattern)) = (text.to_sql_string(), pattern.to_sql_string()) else {
        return Ok(Value::Undefined);
    };
    let unsupported = |construct| EvalError::Unsupported {
        at: site.at,
        construct,
    };
    let items = time::compile(&pattern, Dialect::Jdk).map_err(unsupported)?;
    match time::parse_epoch_ms(&text, &items) {
        Ok(ms) => Ok(Value::int(ms)),
        Err(ParseFailure::NoMatch) => Ok(Value::Undefined),
        Err(ParseFailure::Unsupported(construct)) => Err(unsupported(construct)),
    }
}

/// `cast(value AS type)`, by the casting tables of the reference.
pub(crate) fn cast(value: &Value, to: CastType) -> Value {
    match to {
        CastType::String => match value {
            Value::Bool(b) => Value::Str(b.to_string()),
            other => other.to_sql_string().map_or(Value::Undefined, Value::Str),
        },
        CastType::Int => cast_number(value).map_or(Value::Undefined, |d| Value::Num(d.floor())),
        CastType::Decimal => cast_number(value).map_or(Value::Undefined, Value::Num),
        CastType::Double => cast_number(value)
            .and_then(|d| Dec::from_f64(d.to_f64()))
            .map_or(Value::Undefined, Value::Num),
        CastType::Bool => match value {
            Value::Num(d) => Value::Bool(!d.is_zero()),
            Value::Bool(b) => Value::Bool(*b),
            Value::Str(s) => super::value::parse_bool(s).map_or(Value::Undefined, Value::Bool),
            _ => Value::Undefined,
        },
    }
}

/// Casting to a number also takes Booleans: true is 1, false is 0.
fn cast_number(value: &Value) -> Option<Dec> {
    match value {
        Value::Bool(b) => Some(Dec::from_i64(i64::from(*b))),
        other => other.to_dec(),
    }
}
