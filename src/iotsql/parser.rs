//! A recursive-descent parser from tokens to the [`ast`](super::ast).
//!
//! Precedence, loosest first: `OR`, `AND`, `NOT`, comparisons, `+ -`,
//! `* / %`, unary `-`, then member access (`a.b`). The reference gives no
//! table; this is ANSI SQL's order, which its examples agree with.
//!
//! Every node's depth is tracked so that no input, however nested or long,
//! builds a tree deep enough to exhaust the stack when evaluated or dropped.

use super::SqlError;
use super::ast::{BinOp, CastType, Expr, ExprKind, Projection, Query, SelectItem, Selected, Span};
use super::decimal::Dec;
use super::functions::{self, Lookup};
use super::lexer::{Tok, Token, tokenize};
use super::value::Value;

/// How deep an expression tree may be (a long `a + b + ...` chain counts).
const MAX_DEPTH: usize = 200;

/// How many brackets, calls and prefix operators may enclose one another;
/// this bounds the parser's own recursion before a tree is built.
const MAX_NESTING: usize = 64;

/// Words that cannot name a top-level field.
const RESERVED: [&str; 19] = [
    "select", "from", "where", "as", "and", "or", "not", "case", "when", "then", "else", "end",
    "null", "true", "false", "in", "like", "between", "is",
];

/// Operators of ANSI SQL that the reference does not list.
const UNSUPPORTED_OPERATORS: [&str; 4] = ["in", "like", "between", "is"];

/// An expression and the depth of its tree.
type Parsed = (Expr, usize);

/// The clauses of a top-level statement, before `mod.rs` wraps them.
pub(crate) struct Clauses {
    pub projection: Projection,
    pub topic: String,
    pub topic_span: Span,
    pub filter: Option<Expr>,
}

pub(crate) fn parse_statement(sql: &str) -> Result<Clauses, SqlError> {
    // Checked before tokenizing, which would stop at a variable's `$`.
    let start = sql.len() - sql.trim_start().len();
    let first_word = sql[start..].split(|c: char| !c.is_alphanumeric()).next();
    if first_word.is_some_and(|w| w.eq_ignore_ascii_case("set")) {
        return Err(SqlError::unsupported(
            start,
            "SET clause",
            "variables are not supported",
        ));
    }
    let mut p = Parser::new(sql)?;
    let clauses = p.statement()?;
    p.expect_end()?;
    Ok(clauses)
}

/// Parses a lone expression, as a substitution template holds.
pub(crate) fn parse_expression(text: &str) -> Result<Expr, SqlError> {
    let mut p = Parser::new(text)?;
    let (expr, _) = p.expr()?;
    p.expect_end()?;
    Ok(expr)
}

struct Parser<'a> {
    sql: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    nesting: usize,
}

impl<'a> Parser<'a> {
    fn new(sql: &'a str) -> Result<Parser<'a>, SqlError> {
        Ok(Parser {
            sql,
            tokens: tokenize(sql)?,
            pos: 0,
            nesting: 0,
        })
    }

    fn statement(&mut self) -> Result<Clauses, SqlError> {
        self.expect_kw("select")?;
        let (projection, _) = self.projection()?;

        self.expect_kw("from")?;
        let (topic, topic_span) = self.topic_filter()?;

        let filter = if self.eat_kw("where") {
            Some(self.expr()?.0)
        } else {
            None
        };
        Ok(Clauses {
            projection,
            topic,
            topic_span,
            filter,
        })
    }

    fn topic_filter(&mut self) -> Result<(String, Span), SqlError> {
        let token = self.peek().clone();
        let single_quoted = self.sql[token.start..].starts_with('\'');
        match token.tok {
            Tok::Str(filter) if single_quoted => {
                self.pos += 1;
                let span = Span {
                    start: token.start,
                    end: token.end,
                };
                super::topic::check_filter(&filter).map_err(|reason| SqlError::BadTopicFilter {
                    at: token.start,
                    filter: filter.clone(),
                    reason,
                })?;
                Ok((filter, span))
            }
            _ => Err(self.unexpected("a topic filter in single quotes, e.g. 'a/+/b'")),
        }
    }

    fn projection(&mut self) -> Result<(Projection, usize), SqlError> {
        let value = self.peek_kw("value") && !self.next_ends_item(1);
        if value {
            self.pos += 1;
        }
        let start = self.peek().start;
        let (first, mut depth) = self.select_item(value)?;
        let mut items = vec![first];
        while self.eat_sym(",") {
            let (item, d) = self.select_item(value)?;
            depth = depth.max(d);
            items.push(item);
        }
        if value && items.len() > 1 {
            return Err(SqlError::Unexpected {
                at: start,
                found: format!("{} items", items.len()),
                expected: "one expression after SELECT VALUE".into(),
            });
        }
        Ok((Projection { value, items }, depth))
    }

    /// Whether the token `ahead` positions on closes a select item, which
    /// makes a preceding `value` a field name rather than the keyword.
    fn next_ends_item(&self, ahead: usize) -> bool {
        let token = &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)];
        match &token.tok {
            Tok::Word(w) => ["from", "as"].iter().any(|k| w.eq_ignore_ascii_case(k)),
            Tok::Sym(s) => [",", "."].contains(s),
            _ => false,
        }
    }

    fn select_item(&mut self, value: bool) -> Result<(SelectItem, usize), SqlError> {
        let (what, span, depth) = if self.eat_sym("*") {
            (Selected::All, self.tokens[self.pos - 1].start, 0)
        } else {
            let start = self.peek().start;
            let (expr, depth) = self.expr()?;
            (Selected::Expr(expr), start, depth)
        };
        let alias = if self.eat_kw("as") {
            Some(self.alias()?)
        } else {
            None
        };
        let key = match (&what, alias, value) {
            (_, Some(alias), _) => Some(alias),
            (_, None, true) | (Selected::All, None, false) => None,
            (Selected::Expr(e), None, false) => Some(implied_key(e).ok_or_else(|| {
                SqlError::unsupported(
                    span,
                    "expression without `AS`",
                    "the reference does not say which key it gets; name it with `AS`",
                )
            })?),
        };
        Ok((SelectItem { what, key }, depth))
    }

    fn alias(&mut self) -> Result<String, SqlError> {
        let token = self.peek().clone();
        let Tok::Word(name) = token.tok else {
            return Err(self.unexpected("a name after AS"));
        };
        self.pos += 1;
        if self.peek_sym(".") {
            return Err(SqlError::unsupported(
                token.start,
                "dotted alias",
                "the reference does not show what it outputs",
            ));
        }
        Ok(name)
    }

    fn expr(&mut self) -> Result<Parsed, SqlError> {
        self.nested(|p| p.binary_level(0))
    }

    /// Runs a step that may recurse, refusing input nested too deeply.
    fn nested(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<Parsed, SqlError>,
    ) -> Result<Parsed, SqlError> {
        if self.nesting >= MAX_NESTING {
            return Err(SqlError::TooDeep {
                at: self.peek().start,
            });
        }
        self.nesting += 1;
        let result = step(self);
        self.nesting -= 1;
        result
    }

    /// One precedence level of left-associative binary operators; level 2
    /// (`NOT`) is prefix and handled by [`Parser::not`].
    fn binary_level(&mut self, level: usize) -> Result<Parsed, SqlError> {
        let mut left = self.operand(level)?;
        while let Some(op) = self.binary_op(level)? {
            self.pos += 1;
            let right = self.operand(level)?;
            left = combine(op, left, right)?;
        }
        Ok(left)
    }

    fn operand(&mut self, level: usize) -> Result<Parsed, SqlError> {
        match level {
            0 => self.binary_level(1),
            1 => self.not(),
            2 => self.binary_level(3),
            3 => self.binary_level(4),
            _ => self.unary(),
        }
    }

    fn binary_op(&self, level: usize) -> Result<Option<BinOp>, SqlError> {
        let op = match (&self.peek().tok, level) {
            (Tok::Word(w), 0) if w.eq_ignore_ascii_case("or") => BinOp::Or,
            (Tok::Word(w), 1) if w.eq_ignore_ascii_case("and") => BinOp::And,
            (Tok::Word(w), 2) if is_unsupported_operator(w) => {
                let construct = format!("operator `{}`", w.to_uppercase());
                return Err(self.unsupported(&construct, ""));
            }
            (Tok::Sym(s), 2) => match *s {
                "=" => BinOp::Eq,
                "<>" | "!=" => BinOp::NotEq,
                "<" => BinOp::Lt,
                "<=" => BinOp::LtEq,
                ">" => BinOp::Gt,
                ">=" => BinOp::GtEq,
                _ => return Ok(None),
            },
            (Tok::Sym("+"), 3) => BinOp::Add,
            (Tok::Sym("-"), 3) => BinOp::Sub,
            (Tok::Sym("*"), 4) => BinOp::Mul,
            (Tok::Sym("/"), 4) => BinOp::Div,
            (Tok::Sym("%"), 4) => BinOp::Rem,
            _ => return Ok(None),
        };
        Ok(Some(op))
    }

    fn not(&mut self) -> Result<Parsed, SqlError> {
        if !self.peek_kw("not") {
            return self.binary_level(2);
        }
        let start = self.next_token().start;
        let (inner, depth) = self.nested(Self::not)?;
        let span = Span {
            start,
            end: inner.span.end,
        };
        node(ExprKind::Not(Box::new(inner)), span, depth)
    }

    fn unary(&mut self) -> Result<Parsed, SqlError> {
        if !self.peek_sym("-") {
            return self.postfix();
        }
        let start = self.next_token().start;
        let (inner, depth) = self.nested(Self::unary)?;
        let span = Span {
            start,
            end: inner.span.end,
        };
        node(ExprKind::Neg(Box::new(inner)), span, depth)
    }

    fn postfix(&mut self) -> Result<Parsed, SqlError> {
        let (mut expr, mut depth) = self.primary()?;
        loop {
            if self.peek_sym("[") {
                return Err(self.unsupported("array index `[...]`", "use get(array, index)"));
            }
            if !self.eat_sym(".") {
                return Ok((expr, depth));
            }
            let token = self.peek().clone();
            let Tok::Word(name) = token.tok else {
                return Err(self
                    .unexpected("a field name after `.` (for other keys use get(object, 'key'))"));
            };
            self.pos += 1;
            let span = expr.span.to(Span {
                start: token.start,
                end: token.end,
            });
            (expr, depth) = node(ExprKind::Member(Box::new(expr), name), span, depth)?;
        }
    }

    fn primary(&mut self) -> Result<Parsed, SqlError> {
        let token = self.peek().clone();
        let span = Span {
            start: token.start,
            end: token.end,
        };
        match token.tok {
            Tok::Num(text) => {
                self.pos += 1;
                let n = Dec::parse_lenient(&text).ok_or(SqlError::BadNumber {
                    at: token.start,
                    text,
                })?;
                Ok((leaf(ExprKind::Literal(Value::Num(n)), span), 1))
            }
            Tok::Str(s) => {
                self.pos += 1;
                Ok((leaf(ExprKind::Literal(Value::Str(s)), span), 1))
            }
            Tok::Sym("(") => self.parenthesized(),
            Tok::Sym("[") => self.array_literal(),
            Tok::Sym("{") => self.object_literal(),
            Tok::Word(word) => self.word(word, span),
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn word(&mut self, word: String, span: Span) -> Result<Parsed, SqlError> {
        let lower = word.to_ascii_lowercase();
        let literal = match lower.as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ => None,
        };
        if let Some(value) = literal {
            self.pos += 1;
            return Ok((leaf(ExprKind::Literal(value), span), 1));
        }
        if lower == "case" {
            return self.case();
        }
        if self.tokens[self.pos + 1].tok == Tok::Sym("(") {
            return self.call(word, span);
        }
        if RESERVED.contains(&lower.as_str()) {
            return Err(self.unexpected("an expression"));
        }
        self.pos += 1;
        Ok((leaf(ExprKind::Field(word), span), 1))
    }

    fn parenthesized(&mut self) -> Result<Parsed, SqlError> {
        let open = self.next_token().start;
        if self.peek_kw("select") {
            return self.subquery(open);
        }
        let (mut inner, depth) = self.expr()?;
        let close = self.expect_sym(")")?;
        inner.span = Span {
            start: open,
            end: close,
        };
        deeper((inner, depth))
    }

    fn subquery(&mut self, open: usize) -> Result<Parsed, SqlError> {
        self.pos += 1;
        let (projection, items_depth) = self.projection()?;
        self.expect_kw("from")?;
        let (from, from_depth) = self.postfix()?;
        let (filter, filter_depth) = if self.eat_kw("where") {
            let (e, d) = self.expr()?;
            (Some(e), d)
        } else {
            (None, 0)
        };
        let close = self.expect_sym(")")?;

        let depth = from_depth.max(filter_depth).max(items_depth);
        let query = Query {
            projection,
            from,
            filter,
        };
        let span = Span {
            start: open,
            end: close,
        };
        node(ExprKind::Subquery(Box::new(query)), span, depth)
    }

    fn array_literal(&mut self) -> Result<Parsed, SqlError> {
        let open = self.next_token().start;
        let mut items = Vec::new();
        let mut depth = 0;
        if !self.peek_sym("]") {
            loop {
                let (item, d) = self.expr()?;
                depth = depth.max(d);
                items.push(item);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let close = self.expect_sym("]")?;
        node(
            ExprKind::Array(items),
            Span {
                start: open,
                end: close,
            },
            depth,
        )
    }

    fn object_literal(&mut self) -> Result<Parsed, SqlError> {
        let open = self.next_token().start;
        let mut fields = Vec::new();
        let mut depth = 0;
        if !self.peek_sym("}") {
            loop {
                let Tok::Str(key) = self.peek().tok.clone() else {
                    return Err(self.unexpected("a quoted key in an object literal"));
                };
                self.pos += 1;
                self.expect_sym(":")?;
                let (value, d) = self.expr()?;
                depth = depth.max(d);
                fields.retain(|(k, _): &(String, Expr)| *k != key);
                fields.push((key, value));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let close = self.expect_sym("}")?;
        node(
            ExprKind::Object(fields),
            Span {
                start: open,
                end: close,
            },
            depth,
        )
    }

    fn case(&mut self) -> Result<Parsed, SqlError> {
        let start = self.next_token().start;
        if self.peek_kw("when") {
            return Err(self.unsupported(
                "searched CASE",
                "the reference defines `CASE <value> WHEN ...`; \
                 write `CASE true WHEN <condition> THEN ...`",
            ));
        }
        let (subject, mut depth) = self.expr()?;
        let mut arms = Vec::new();
        while self.eat_kw("when") {
            let (test, d1) = self.expr()?;
            self.expect_kw("then")?;
            let (result, d2) = self.expr()?;
            depth = depth.max(d1).max(d2);
            arms.push((test, result));
        }
        if arms.is_empty() {
            return Err(self.unexpected("WHEN (CASE needs at least one)"));
        }
        let otherwise = if self.eat_kw("else") {
            let (e, d) = self.expr()?;
            depth = depth.max(d);
            Some(Box::new(e))
        } else {
            None
        };
        let end = self.peek().end;
        self.expect_kw("end")?;

        let kind = ExprKind::Case {
            subject: Box::new(subject),
            arms,
            otherwise,
        };
        node(kind, Span { start, end }, depth)
    }

    fn call(&mut self, name: String, name_span: Span) -> Result<Parsed, SqlError> {
        let canonical = match functions::lookup(&name) {
            Lookup::Known(canonical) => canonical,
            Lookup::Unsupported => {
                let construct = format!("function `{name}`");
                return Err(SqlError::unsupported(name_span.start, &construct, ""));
            }
            Lookup::Unknown(hint) => {
                return Err(SqlError::UnknownFunction {
                    at: name_span.start,
                    name,
                    hint,
                });
            }
        };
        self.pos += 2;
        if canonical == "cast" {
            return self.cast(name_span);
        }

        let (args, depth) = self.arguments()?;
        let close = self.expect_sym(")")?;
        functions::check_literal_arguments(canonical, &args, name_span.start)?;
        let kind = ExprKind::Call {
            name: canonical,
            args,
        };
        node(
            kind,
            Span {
                start: name_span.start,
                end: close,
            },
            depth,
        )
    }

    fn arguments(&mut self) -> Result<(Vec<Expr>, usize), SqlError> {
        let mut args = Vec::new();
        let mut depth = 0;
        if self.peek_sym(")") {
            return Ok((args, depth));
        }
        loop {
            let (arg, d) = if self.peek_sym("*") {
                let token = self.next_token();
                let span = Span {
                    start: token.start,
                    end: token.end,
                };
                (leaf(ExprKind::Wildcard, span), 1)
            } else {
                self.expr()?
            };
            depth = depth.max(d);
            args.push(arg);
            if !self.eat_sym(",") {
                return Ok((args, depth));
            }
        }
    }

    fn cast(&mut self, name_span: Span) -> Result<Parsed, SqlError> {
        let (value, depth) = self.expr()?;
        self.expect_kw("as")?;
        let token = self.peek().clone();
        let to = match &token.tok {
            Tok::Word(w) => CastType::from_keyword(w),
            _ => None,
        };
        let Some(to) = to else {
            return Err(self.unexpected(
                "a cast type: String, Int, Integer, Decimal, Double, Bool or Boolean",
            ));
        };
        self.pos += 1;
        let close = self.expect_sym(")")?;
        let span = Span {
            start: name_span.start,
            end: close,
        };
        node(ExprKind::Cast(Box::new(value), to), span, depth)
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn next_token(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn peek_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn peek_sym(&self, sym: &str) -> bool {
        matches!(&self.peek().tok, Tok::Sym(s) if *s == sym)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let found = self.peek_kw(kw);
        if found {
            self.pos += 1;
        }
        found
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let found = self.peek_sym(sym);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(&kw.to_uppercase()))
        }
    }

    /// Consumes a symbol and returns the byte offset just past it.
    fn expect_sym(&mut self, sym: &str) -> Result<usize, SqlError> {
        let end = self.peek().end;
        if self.eat_sym(sym) {
            Ok(end)
        } else {
            Err(self.unexpected(&format!("`{sym}`")))
        }
    }

    fn expect_end(&self) -> Result<(), SqlError> {
        match self.peek().tok {
            Tok::End => Ok(()),
            _ => Err(self.unexpected("the end of the statement")),
        }
    }

    fn unexpected(&self, expected: &str) -> SqlError {
        let token = self.peek();
        let found = match &token.tok {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Str(_) | Tok::Num(_) | Tok::Sym(_) => {
                format!("`{}`", &self.sql[token.start..token.end])
            }
            Tok::End => "the end of the statement".to_string(),
        };
        SqlError::Unexpected {
            at: token.start,
            found,
            expected: expected.to_string(),
        }
    }

    fn unsupported(&self, construct: &str, hint: &str) -> SqlError {
        SqlError::unsupported(self.peek().start, construct, hint)
    }
}

fn is_unsupported_operator(word: &str) -> bool {
    UNSUPPORTED_OPERATORS
        .iter()
        .any(|op| word.eq_ignore_ascii_case(op))
}

/// The key a select item gets without `AS`: the last name of a field path.
fn implied_key(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Field(name) => Some(name.clone()),
        ExprKind::Member(base, name) => implied_key(base).map(|_| name.clone()),
        _ => None,
    }
}

fn leaf(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn node(kind: ExprKind, span: Span, child_depth: usize) -> Result<Parsed, SqlError> {
    deeper((Expr { kind, span }, child_depth))
}

fn deeper((expr, depth): Parsed) -> Result<Parsed, SqlError> {
    if depth >= MAX_DEPTH {
        return Err(SqlError::TooDeep {
            at: expr.span.start,
        });
    }
    Ok((expr, depth + 1))
}

fn combine(op: BinOp, (left, dl): Parsed, (right, dr): Parsed) -> Result<Parsed, SqlError> {
    let span = left.span.to(right.span);
    node(
        ExprKind::Binary(op, Box::new(left), Box::new(right)),
        span,
        dl.max(dr),
    )
}
