//! Why a WHERE clause was not true: the part of the condition responsible,
//! down to the field that was missing or the comparison that failed.
//!
//! This is what someone asks when an uplink never reached the table, so
//! the reasons quote the statement's own text and name the payload key that
//! was absent rather than only reporting `false`.

use super::ast::{BinOp, Expr, ExprKind};
use super::eval::{Env, eval};
use super::value::Value;

/// Reasons beyond this many are not worth reading.
const MAX_REASONS: usize = 16;

pub(crate) fn why_not_true(filter: &Expr, this: &Value, env: &Env, sql: &str) -> Vec<String> {
    let mut e = Explainer {
        this,
        env,
        sql,
        reasons: Vec::new(),
    };
    e.not_true(filter);
    e.reasons
}

/// How a value reads in a reason: JSON, or `Undefined`.
pub(crate) fn show(value: &Value) -> String {
    match value {
        Value::Undefined => "Undefined".into(),
        other => other.to_json_text(),
    }
}

struct Explainer<'a> {
    this: &'a Value,
    env: &'a Env<'a>,
    sql: &'a str,
    reasons: Vec<String>,
}

impl Explainer<'_> {
    fn value(&mut self, expr: &Expr) -> Value {
        match eval(expr, self.this, self.env) {
            Ok(v) => v,
            Err(err) => {
                self.push(format!(
                    "`{}` could not be evaluated: {err}",
                    self.src(expr)
                ));
                Value::Undefined
            }
        }
    }

    fn src(&self, expr: &Expr) -> &str {
        self.sql.get(expr.span.start..expr.span.end).unwrap_or("?")
    }

    fn push(&mut self, reason: String) {
        if self.reasons.len() < MAX_REASONS && !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }

    fn not_true(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Binary(BinOp::And | BinOp::Or, left, right) => {
                for side in [left, right] {
                    if self.value(side) != Value::Bool(true) {
                        self.not_true(side);
                    }
                }
            }
            ExprKind::Not(inner) => {
                let value = self.value(inner);
                if value.to_bool() == Some(true) {
                    self.push(format!("`{}` is true", self.src(inner)));
                    self.why_true(inner);
                } else {
                    self.not_true(inner);
                }
            }
            _ => {
                let value = self.value(expr);
                self.describe(expr, &value);
            }
        }
    }

    /// For `NOT isUndefined(x)`: say why `x` is Undefined.
    fn why_true(&mut self, expr: &Expr) {
        if let ExprKind::Call { name, args } = &expr.kind
            && *name == "isundefined"
            && let [arg] = args.as_slice()
        {
            self.undefined(arg);
        }
    }

    fn describe(&mut self, expr: &Expr, value: &Value) {
        if value.is_undefined() {
            return self.undefined(expr);
        }
        let reason = match &expr.kind {
            ExprKind::Binary(op, left, right) if op.is_comparison() => {
                let (l, r) = (self.value(left), self.value(right));
                format!(
                    "`{}` is {}: the left side is {}, the right side is {}",
                    self.src(expr),
                    show(value),
                    show(&l),
                    show(&r)
                )
            }
            _ => format!("`{}` is {}", self.src(expr), show(value)),
        };
        self.push(reason);
    }

    /// Finds the innermost reason an expression is Undefined.
    fn undefined(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Field(name) => {
                self.push(format!(
                    "`{}` is Undefined: the payload has no key `{name}`",
                    self.src(expr)
                ));
            }
            ExprKind::Member(base, name) => self.member(expr, base, name),
            ExprKind::Binary(op, left, right) => {
                self.operands(expr, &format!("`{}`", op.symbol()), &[left, right]);
            }
            ExprKind::Neg(inner) => self.operands(expr, "unary `-`", &[inner]),
            ExprKind::Not(inner) => self.operands(expr, "`NOT`", &[inner]),
            ExprKind::Cast(inner, _) => self.operands(expr, "the cast", &[inner]),
            ExprKind::Call { name, args } => {
                let args: Vec<&Expr> = args.iter().collect();
                self.operands(expr, &format!("`{name}`"), &args);
            }
            _ => self.push(format!("`{}` is Undefined", self.src(expr))),
        }
    }

    fn member(&mut self, expr: &Expr, base: &Expr, name: &str) {
        let base_value = self.value(base);
        let reason = match &base_value {
            Value::Undefined => return self.undefined(base),
            Value::Object(_) => format!("`{}` has no key `{name}`", self.src(base)),
            other => format!(
                "`{}` is {} (a {}), not an object",
                self.src(base),
                show(other),
                other.type_name()
            ),
        };
        self.push(format!("`{}` is Undefined: {reason}", self.src(expr)));
    }

    /// Blames Undefined operands if there are any, else the operator or
    /// function for not accepting the operands' types.
    fn operands(&mut self, expr: &Expr, what: &str, operands: &[&Expr]) {
        let values: Vec<Value> = operands.iter().map(|e| self.value(e)).collect();
        let mut blamed = false;
        for (operand, value) in operands.iter().zip(&values) {
            if value.is_undefined() {
                self.undefined(operand);
                blamed = true;
            }
        }
        if !blamed {
            let types: Vec<&str> = values.iter().map(Value::type_name).collect();
            self.push(format!(
                "`{}` is Undefined: {what} gives Undefined for ({})",
                self.src(expr),
                types.join(", ")
            ));
        }
    }
}
