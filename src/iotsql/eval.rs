//! Evaluation of parsed expressions and select lists against a message.
//!
//! Expressions see a "current object": the payload at the top level, or the
//! array element a nested `SELECT` is looking at. `Undefined` flows through
//! as the reference says: a missing field is `Undefined`, operators and
//! functions given it answer `Undefined`, and an `Undefined` item or element
//! is left out of the object or array being built.

use super::ast::{Expr, ExprKind, Projection, Query, Selected};
use super::functions::{self, CallSite};
use super::value::{Value, insert};
use super::{Context, EvalError, ops};

/// What evaluation needs besides the expression and the current object.
pub(crate) struct Env<'a> {
    pub ctx: &'a Context,
    /// The message's bytes, while the current object is the whole message.
    pub raw: Option<&'a [u8]>,
}

pub(crate) fn eval(expr: &Expr, this: &Value, env: &Env) -> Result<Value, EvalError> {
    Ok(match &expr.kind {
        ExprKind::Field(name) => this.field(name),
        ExprKind::Member(base, name) => eval(base, this, env)?.field(name),
        ExprKind::Wildcard => this.clone(),
        ExprKind::Literal(value) => value.clone(),
        ExprKind::Array(items) => Value::Array(present(items, this, env)?),
        ExprKind::Object(fields) => object(fields, this, env)?,
        ExprKind::Neg(inner) => ops::negate(&eval(inner, this, env)?),
        ExprKind::Not(inner) => ops::not(&eval(inner, this, env)?),
        ExprKind::Binary(op, left, right) => {
            ops::binary(*op, &eval(left, this, env)?, &eval(right, this, env)?)
        }
        ExprKind::Case {
            subject,
            arms,
            otherwise,
        } => case(subject, arms, otherwise.as_deref(), this, env)?,
        ExprKind::Call { name, args } => call(name, args, expr.span.start, this, env)?,
        ExprKind::Cast(inner, to) => functions::cast(&eval(inner, this, env)?, *to),
        ExprKind::Subquery(query) => subquery(query, this, env)?,
    })
}

/// The values of `exprs` that are not `Undefined`.
fn present(exprs: &[Expr], this: &Value, env: &Env) -> Result<Vec<Value>, EvalError> {
    let mut out = Vec::with_capacity(exprs.len());
    for expr in exprs {
        let value = eval(expr, this, env)?;
        if !value.is_undefined() {
            out.push(value);
        }
    }
    Ok(out)
}

fn object(fields: &[(String, Expr)], this: &Value, env: &Env) -> Result<Value, EvalError> {
    let mut out = Vec::with_capacity(fields.len());
    for (key, expr) in fields {
        let value = eval(expr, this, env)?;
        if !value.is_undefined() {
            insert(&mut out, key.clone(), value);
        }
    }
    Ok(Value::Object(out))
}

/// `CASE v WHEN t THEN r ...`: the first `t` that `=` finds equal to `v`.
fn case(
    subject: &Expr,
    arms: &[(Expr, Expr)],
    otherwise: Option<&Expr>,
    this: &Value,
    env: &Env,
) -> Result<Value, EvalError> {
    let v = eval(subject, this, env)?;
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    for (test, result) in arms {
        if ops::equals(&v, &eval(test, this, env)?) == Some(true) {
            return eval(result, this, env);
        }
    }
    match otherwise {
        Some(expr) => eval(expr, this, env),
        None => Ok(Value::Undefined),
    }
}

fn call(name: &str, args: &[Expr], at: usize, this: &Value, env: &Env) -> Result<Value, EvalError> {
    // `encode(*, ...)` encodes the message as it arrived, JSON or not.
    if let (Some(raw), "encode", [star, scheme]) = (env.raw, name, args)
        && star.kind == ExprKind::Wildcard
    {
        let scheme = eval(scheme, this, env)?;
        return Ok(functions::encode(raw, &scheme));
    }

    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(eval(arg, this, env)?);
    }
    let site = CallSite { ctx: env.ctx, at };
    functions::call(name, &values, &site)
}

/// A nested query: over each element of an array, or over one object.
fn subquery(query: &Query, this: &Value, env: &Env) -> Result<Value, EvalError> {
    let inner = Env {
        ctx: env.ctx,
        raw: None,
    };
    match eval(&query.from, this, env)? {
        Value::Array(elements) => {
            let mut out = Vec::new();
            for element in &elements {
                let row = row(query, element, &inner)?;
                if !row.is_undefined() {
                    out.push(row);
                }
            }
            Ok(Value::Array(out))
        }
        object @ Value::Object(_) => row(query, &object, &inner),
        _ => Ok(Value::Undefined),
    }
}

/// One element of a nested query: projected if its WHERE is true.
fn row(query: &Query, element: &Value, env: &Env) -> Result<Value, EvalError> {
    if let Some(filter) = &query.filter
        && eval(filter, element, env)? != Value::Bool(true)
    {
        return Ok(Value::Undefined);
    }
    project(&query.projection, element, env)
}

/// The select list applied to the current object.
pub(crate) fn project(
    projection: &Projection,
    this: &Value,
    env: &Env,
) -> Result<Value, EvalError> {
    if projection.value || only_wildcard(projection) {
        return match &projection.items[0].what {
            Selected::All => Ok(this.clone()),
            Selected::Expr(expr) => eval(expr, this, env),
        };
    }

    let mut out = Vec::new();
    for item in &projection.items {
        let value = match &item.what {
            Selected::All if item.key.is_none() => {
                let Value::Object(fields) = this else {
                    return Err(EvalError::WildcardNotObject {
                        found: this.type_name(),
                    });
                };
                for (k, v) in fields {
                    insert(&mut out, k.clone(), v.clone());
                }
                continue;
            }
            Selected::All => this.clone(),
            Selected::Expr(expr) => eval(expr, this, env)?,
        };
        if let (Some(key), false) = (&item.key, value.is_undefined()) {
            insert(&mut out, key.clone(), value);
        }
    }
    Ok(Value::Object(out))
}

fn only_wildcard(projection: &Projection) -> bool {
    match projection.items.as_slice() {
        [item] => item.what == Selected::All && item.key.is_none(),
        _ => false,
    }
}
