//! The IoT SQL fuzz corpus in tests/iotsql-corpus/ (see its README):
//! every statement goes through `parse`, and every statement that parses
//! runs on every payload through `evaluate` and, when it selects an object,
//! `dynamodb_item`, on a topic its FROM matches and on a Basic Ingest topic
//! (which skips FROM). Nothing may panic; a statement that does not parse
//! must say where, with a byte position inside the statement that falls on a
//! character boundary. `ok-` statements must parse and `err-` statements
//! must be refused; `any-` ones may do either.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fleet::iotsql::{self, Context, EvalError, Outcome, SqlError, Statement};
use fleet::rule::TABLE_KEYS;
use fleet::rule_sql::default_sql;
use serde_json::Value;

use crate::harness;

/// A corpus file must stay small, so the whole run stays within seconds.
const MAX_FILE_BYTES: usize = 64 * 1024;
const MIN_FILES: usize = 60;

fn files(dir: &str, extension: &str) -> Vec<(String, Vec<u8>)> {
    let dir = harness::repo("tests/iotsql-corpus").join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                bytes.len() <= MAX_FILE_BYTES,
                "{name} is {} bytes; corpus files stay under {MAX_FILE_BYTES}",
                bytes.len()
            );
            (name, bytes)
        })
        .collect()
}

/// Where a parse error points, as a byte offset into the statement.
fn position(error: &SqlError) -> usize {
    match error {
        SqlError::Unexpected { at, .. }
        | SqlError::Unsupported { at, .. }
        | SqlError::UnknownFunction { at, .. }
        | SqlError::UnclosedString { at }
        | SqlError::BadNumber { at, .. }
        | SqlError::BadTopicFilter { at, .. }
        | SqlError::TooDeep { at } => *at,
    }
}

/// A topic the filter matches: `+` and `#` filled in.
fn topic_for(filter: &str) -> String {
    filter
        .split('/')
        .map(|level| match level {
            "+" => "corpus",
            "#" => "corpus/up",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

/// A payload nested deeper than the engine accepts, which serde_json's own
/// parser (128 levels) would never hand it.
fn deeper_than_any_parser() -> Value {
    let mut value = Value::from(1);
    for _ in 0..300 {
        value = Value::Array(vec![value]);
    }
    value
}

#[derive(Default)]
struct Tally {
    parsed: usize,
    refused: usize,
    evaluations: usize,
    selected: usize,
    where_not_true: usize,
    topic_mismatch: usize,
    eval_errors: usize,
    items: usize,
    items_refused: usize,
}

#[test]
fn the_iotsql_corpus_neither_panics_nor_loses_positions() {
    let started = Instant::now();
    let mut statements = files("statements", "sql");
    let payload_files = files("payloads", "json");
    let total = statements.len() + payload_files.len();
    assert!(
        total >= MIN_FILES,
        "the corpus holds {total} files; it should hold at least {MIN_FILES}"
    );
    // The statements fleet renders today, besides the seeds on disk.
    for (name, retention) in [("live-default-365", Some(365)), ("live-default-none", None)] {
        let sql = default_sql("+/devices/+/up", retention);
        statements.push((format!("ok-{name}"), sql.into_bytes()));
    }

    // As `fleet local` does: a payload that is not JSON is evaluated as null,
    // with its bytes as they came for encode(*, 'base64').
    let mut payloads: Vec<(String, Value, Vec<u8>)> = payload_files
        .into_iter()
        .map(|(name, raw)| {
            let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
            (name, json, raw)
        })
        .collect();
    payloads.push((
        "(in memory) 300 nested arrays".into(),
        deeper_than_any_parser(),
        b"[[[1]]]".to_vec(),
    ));

    let mut failures: Vec<String> = Vec::new();
    let mut tally = Tally::default();
    let mut parsed: Vec<(String, Statement)> = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();

    for (name, bytes) in &statements {
        let sql = String::from_utf8_lossy(bytes);
        match catch_unwind(AssertUnwindSafe(|| iotsql::parse(&sql))) {
            Err(panic) => failures.push(format!("{name}: parse panicked: {}", panic_text(&*panic))),
            Ok(Ok(statement)) => {
                tally.parsed += 1;
                if name.starts_with("err-") {
                    failures.push(format!("{name}: parsed, but the corpus expects a refusal"));
                }
                parsed.push((name.clone(), statement));
            }
            Ok(Err(error)) => {
                tally.refused += 1;
                let at = position(&error);
                if name.starts_with("ok-") {
                    failures.push(format!(
                        "{name}: refused ({error}), but the corpus expects it to parse"
                    ));
                }
                if at > sql.len() || !sql.is_char_boundary(at) {
                    failures.push(format!(
                        "{name}: `{error}` points at byte {at}, not a character boundary of the \
                         {}-byte statement",
                        sql.len()
                    ));
                } else if !error.to_string().contains(&format!("at {at}")) {
                    failures.push(format!("{name}: `{error}` does not say its position {at}"));
                }
            }
        }
    }

    for (name, statement) in &parsed {
        let sql_len = statement.sql().len();
        let matching = Context::new(&topic_for(statement.topic_filter()), 1_796_120_131_000);
        let mut basic_ingest = Context::new("$aws/rules/corpus_rule/a/b", 1_796_120_131_000);
        basic_ingest.client_id = Some("corpus-client".into());
        basic_ingest.trace_id = Some("12345678-1234-1234-1234-123456789012".into());
        basic_ingest.principal = Some("corpus-principal".into());
        basic_ingest.account_id = Some("123456789012".into());

        for (payload_name, payload, raw) in &payloads {
            for base in [&matching, &basic_ingest] {
                let mut ctx = base.clone();
                ctx.raw_payload = Some(raw.clone());
                let case = format!("{name} on {payload_name} (topic {})", ctx.topic);
                tally.evaluations += 1;
                let clock = Instant::now();
                let outcome = match catch_unwind(AssertUnwindSafe(|| {
                    iotsql::evaluate(statement, payload, &ctx)
                })) {
                    Err(panic) => {
                        failures.push(format!(
                            "{case}: evaluate panicked: {}",
                            panic_text(&*panic)
                        ));
                        continue;
                    }
                    Ok(Err(error)) => {
                        tally.eval_errors += 1;
                        let at = match &error {
                            EvalError::Unsupported { at, .. }
                            | EvalError::MissingContext { at, .. } => Some(*at),
                            _ => None,
                        };
                        if at.is_some_and(|at| at > sql_len) {
                            failures.push(format!("{case}: `{error}` points past the statement"));
                        }
                        continue;
                    }
                    Ok(Ok(outcome)) => outcome,
                };
                let object = match &outcome {
                    Outcome::TopicMismatch { .. } => {
                        tally.topic_mismatch += 1;
                        None
                    }
                    Outcome::WhereNotTrue(_) => {
                        tally.where_not_true += 1;
                        None
                    }
                    Outcome::Selected(_) => {
                        tally.selected += 1;
                        outcome.selected_object()
                    }
                };
                if let Some(object) = object {
                    match catch_unwind(AssertUnwindSafe(|| {
                        iotsql::dynamodb_item(object, &TABLE_KEYS)
                    })) {
                        Err(panic) => failures.push(format!(
                            "{case}: dynamodb_item panicked: {}",
                            panic_text(&*panic)
                        )),
                        Ok(Ok(_)) => tally.items += 1,
                        Ok(Err(_)) => tally.items_refused += 1,
                    }
                }
                slowest.push((clock.elapsed(), case));
            }
        }
    }

    let elapsed = started.elapsed();
    slowest.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    let slowest: Vec<String> = slowest
        .iter()
        .take(3)
        .map(|(time, case)| format!("{time:.1?} {case}"))
        .collect();
    let Tally {
        parsed,
        refused,
        evaluations,
        selected,
        where_not_true,
        topic_mismatch,
        eval_errors,
        items,
        items_refused,
    } = tally;
    eprintln!(
        "iotsql corpus: {} statements ({parsed} parsed, {refused} refused), {} payloads; \
         {evaluations} evaluations: {selected} selected, {where_not_true} WHERE not true, \
         {topic_mismatch} topic mismatches, {eval_errors} errors; {items} items, \
         {items_refused} refused by PutItem; {elapsed:.2?}; slowest: {}",
        statements.len(),
        payloads.len(),
        slowest.join("; "),
    );
    assert!(
        failures.is_empty(),
        "{} problems in the IoT SQL corpus:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
