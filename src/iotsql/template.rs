//! Substitution templates: the `${expression}` parts of a rule action's
//! parameters, such as a table name of `${topic(3)}`.
//!
//! As the reference says, a template is evaluated on its own against the
//! incoming message, not against the SELECT result, so aliases are not
//! visible. A value is written as its standard conversion to a string, and
//! `Undefined` (or `Null`, which converts to nothing) as an empty string,
//! the reference's serialization of `Undefined` on its own.

use serde_json::Value as Json;

use super::eval::{Env, eval};
use super::parser::parse_expression;
use super::value::Value;
use super::{Context, EvalError, SqlError};

/// Why a template could not be filled in.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("the `${{` at {at} is never closed with `}}`")]
    Unclosed { at: usize },
    #[error("in the template expression at {at}: {source}")]
    Sql { at: usize, source: SqlError },
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// Fills in every `${...}` of `template` from the message.
pub fn substitute(template: &str, payload: &Json, ctx: &Context) -> Result<String, TemplateError> {
    let this = Value::from_json(payload).map_err(EvalError::from_json_problem)?;
    let env = Env {
        ctx,
        raw: ctx.raw_payload.as_deref(),
    };

    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("${") {
        out.push_str(&rest[..open]);
        let offset = template.len() - rest.len() + open + 2;
        let body = &rest[open + 2..];
        let len = expression_len(body).ok_or(TemplateError::Unclosed { at: offset - 2 })?;

        let expr = parse_expression(&body[..len])
            .map_err(|source| TemplateError::Sql { at: offset, source })?;
        let value = eval(&expr, &this, &env)?;
        out.push_str(&value.to_sql_string().unwrap_or_default());
        rest = &body[len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The length of the expression before its closing `}`, skipping braces
/// inside string literals and object literals.
fn expression_len(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '{') => depth += 1,
            (None, '}') if depth == 0 => return Some(i),
            (None, '}') => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Context {
        Context::new("cats/devices/snowy/up", 1_796_120_130_000)
    }

    #[test]
    fn fills_in_expressions() {
        let payload = json!({"id": "snowy", "n": 3, "o": {"a": [1]}});
        let cases = [
            ("${topic(3)}", "snowy"),
            ("table-${topic(1)}", "table-cats"),
            ("${topic()}/republish", "cats/devices/snowy/up/republish"),
            ("${id}-${n + 1}", "snowy-4"),
            ("${o}", "{\"a\":[1]}"),
            ("${missing}|", "|"),
            ("${get({'k': '}'}, 'k')}", "}"),
            ("${parse_time('yyyy', timestamp(), 'UTC')}", "2026"),
            ("no templates, $ alone", "no templates, $ alone"),
        ];
        for (template, expected) in cases {
            assert_eq!(
                substitute(template, &payload, &ctx()).unwrap(),
                expected,
                "{template}"
            );
        }
    }

    #[test]
    fn errors_carry_positions() {
        let payload = json!({});
        assert_eq!(
            substitute("a${topic(", &payload, &ctx()),
            Err(TemplateError::Unclosed { at: 1 })
        );
        assert!(matches!(
            substitute("ab${md5(x)}", &payload, &ctx()),
            Err(TemplateError::Sql { at: 4, .. })
        ));
    }
}
