//! A parser and evaluator for AWS IoT SQL, version 2016-03-23, the language
//! of topic rules. AWS offers no local evaluator; fleet uses this one to test
//! a rule against a payload offline, to run rules in a local IoT Core, and to
//! say why an uplink did not reach its table.
//!
//! The stages: [`parse`] turns a statement into a [`Statement`], refusing
//! with a position anything the reference does not define or that this
//! evaluator does not implement; [`evaluate`] runs it on one message and
//! tells apart a topic that does not match, a WHERE that was not true (and
//! why), and the selected result; [`dynamodb_item`] types that result as the
//! DynamoDBv2 action would write it; [`substitute`] fills in an action's
//! `${...}` templates.
//!
//! The behaviour follows the AWS IoT SQL reference: its data types,
//! conversions, operator tables and function tables. Where the reference is
//! silent or contradicts itself, the choice made is written beside the code
//! that makes it.

mod ast;
mod codec;
mod decimal;
mod dynamodb;
mod eval;
mod explain;
mod functions;
mod lexer;
mod ops;
mod parser;
mod template;
mod time;
mod topic;
mod value;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value as Json};

use ast::{Expr, Projection, Span};
use eval::Env;
use value::{JsonProblem, Value};

pub use dynamodb::{AttributeValue, Item, ItemError, KeyType, dynamodb_item};
pub use template::{TemplateError, substitute};

/// Why a statement could not be parsed. Positions are byte offsets into the
/// statement, counted from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    #[error("unexpected {found} at {at}; expected {expected}")]
    Unexpected {
        at: usize,
        found: String,
        expected: String,
    },
    #[error("unsupported {construct} at {at}{}", then(hint))]
    Unsupported {
        at: usize,
        construct: String,
        /// What to write instead, or why it is refused; may be empty.
        hint: String,
    },
    #[error("unknown function `{name}` at {at}{}", suggestion(hint))]
    UnknownFunction {
        at: usize,
        name: String,
        hint: Option<String>,
    },
    #[error("the string opened at {at} is never closed")]
    UnclosedString { at: usize },
    #[error("the number `{text}` at {at} is out of IoT SQL's range")]
    BadNumber { at: usize, text: String },
    #[error("invalid topic filter '{filter}' at {at}: {reason}")]
    BadTopicFilter {
        at: usize,
        filter: String,
        reason: String,
    },
    #[error("the statement nests too deeply at {at}")]
    TooDeep { at: usize },
}

impl SqlError {
    pub(crate) fn unsupported(at: usize, construct: &str, hint: &str) -> SqlError {
        SqlError::Unsupported {
            at,
            construct: construct.to_string(),
            hint: hint.to_string(),
        }
    }
}

fn suggestion(hint: &Option<String>) -> String {
    hint.as_ref()
        .map(|h| format!("; did you mean `{h}`?"))
        .unwrap_or_default()
}

fn then(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!("; {hint}")
    }
}

/// Why a statement could not be evaluated on a message. An ordinary
/// problem with the data gives `Undefined`, not an error; these are the
/// cases where an answer would be a guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("unsupported {construct} at {at}")]
    Unsupported { at: usize, construct: String },
    #[error("{function} at {at} needs a value the context does not give")]
    MissingContext { at: usize, function: &'static str },
    #[error("`*` selects the fields of an object, but the message is {found}")]
    WildcardNotObject { found: &'static str },
    #[error("the payload nests more than {} levels deep", value::MAX_JSON_DEPTH)]
    PayloadTooDeep,
    #[error("the number {value} cannot be written as JSON")]
    NumberOutOfRange { value: String },
}

impl EvalError {
    fn from_json_problem(problem: JsonProblem) -> EvalError {
        match problem {
            JsonProblem::TooDeep => EvalError::PayloadTooDeep,
            JsonProblem::NumberOutOfRange(value) => EvalError::NumberOutOfRange { value },
        }
    }
}

/// What a rule knows about a message besides its payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The topic the message was published to.
    pub topic: String,
    /// `clientid()`; without one it is `n/a`, as for a message not sent
    /// over MQTT.
    pub client_id: Option<String>,
    /// `timestamp()`: when the rules engine saw the message, epoch ms.
    pub timestamp_ms: i64,
    /// `traceid()`; `Undefined` without one.
    pub trace_id: Option<String>,
    /// `principal()`; a statement that calls it needs one.
    pub principal: Option<String>,
    /// `accountid()`; a statement that calls it needs one.
    pub account_id: Option<String>,
    /// The message as it arrived, for `encode(*, 'base64')`; without it the
    /// payload's compact JSON is encoded.
    pub raw_payload: Option<Vec<u8>>,
}

impl Context {
    pub fn new(topic: &str, timestamp_ms: i64) -> Context {
        Context {
            topic: topic.to_string(),
            timestamp_ms,
            ..Context::default()
        }
    }
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sql: String,
    projection: Projection,
    topic: String,
    topic_span: Span,
    filter: Option<Expr>,
}

impl Statement {
    /// The topic filter of the `FROM` clause.
    pub fn topic_filter(&self) -> &str {
        &self.topic
    }

    /// Where the topic filter stands in the statement, quotes included.
    pub fn topic_filter_span(&self) -> (usize, usize) {
        (self.topic_span.start, self.topic_span.end)
    }

    /// Whether a message on `topic` triggers the rule.
    pub fn matches_topic(&self, topic: &str) -> bool {
        topic::matches(&self.topic, topic)
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// What a rule did with one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The message's topic does not match the `FROM` filter.
    TopicMismatch { filter: String, topic: String },
    /// The WHERE clause was not exactly `true`, so no action runs.
    WhereNotTrue(WhereNotTrue),
    /// What the actions receive: an object, except with `SELECT VALUE` (or
    /// `SELECT *` of a payload that is not an object). `SELECT VALUE` of
    /// `Undefined` is the empty string, as the reference serializes it.
    Selected(Json),
}

impl Outcome {
    /// The selected object, when the rule selected one.
    pub fn selected_object(&self) -> Option<&Map<String, Json>> {
        match self {
            Outcome::Selected(Json::Object(map)) => Some(map),
            _ => None,
        }
    }
}

/// Why a WHERE clause stopped a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhereNotTrue {
    /// What the clause gave: `false`, `Undefined`, or another value as JSON.
    pub value: String,
    /// The parts of the condition responsible, outermost first, quoting the
    /// statement; e.g. "`end_device_ids.device_id` is Undefined: the payload
    /// has no key `end_device_ids`".
    pub reasons: Vec<String>,
}

/// Parses a statement.
pub fn parse(sql: &str) -> Result<Statement, SqlError> {
    let clauses = parser::parse_statement(sql)?;
    Ok(Statement {
        sql: sql.to_string(),
        projection: clauses.projection,
        topic: clauses.topic,
        topic_span: clauses.topic_span,
        filter: clauses.filter,
    })
}

/// Runs a statement on one message: topic, then WHERE, then SELECT, the
/// order the rules engine uses. A Basic Ingest topic (`$aws/rules/<rule>/...`)
/// names its rule directly, so it skips the `FROM` filter.
pub fn evaluate(
    statement: &Statement,
    payload: &Json,
    ctx: &Context,
) -> Result<Outcome, EvalError> {
    let basic_ingest = ctx.topic.starts_with("$aws/rules/");
    if !basic_ingest && !statement.matches_topic(&ctx.topic) {
        return Ok(Outcome::TopicMismatch {
            filter: statement.topic.clone(),
            topic: ctx.topic.clone(),
        });
    }
    let this = Value::from_json(payload).map_err(EvalError::from_json_problem)?;
    let env = Env {
        ctx,
        raw: ctx.raw_payload.as_deref(),
    };

    if let Some(filter) = &statement.filter {
        let verdict = eval::eval(filter, &this, &env)?;
        if verdict != Value::Bool(true) {
            return Ok(Outcome::WhereNotTrue(WhereNotTrue {
                value: explain::show(&verdict),
                reasons: explain::why_not_true(filter, &this, &env, &statement.sql),
            }));
        }
    }

    let selected = eval::project(&statement.projection, &this, &env)?;
    let json = selected.to_json().map_err(EvalError::from_json_problem)?;
    Ok(Outcome::Selected(
        json.unwrap_or_else(|| Json::String(String::new())),
    ))
}
