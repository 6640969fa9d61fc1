//! The parsed form of a statement. Every expression keeps the byte range of
//! the text it came from, so errors and the WHERE diagnosis can quote it.

use super::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    /// A top-level key of the current object: the payload, or the element a
    /// nested `SELECT` is looking at.
    Field(String),
    /// `base.name`.
    Member(Box<Expr>, String),
    /// `*` as a function argument: the whole current object.
    Wildcard,
    Literal(Value),
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Case {
        subject: Box<Expr>,
        arms: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Call {
        name: &'static str,
        args: Vec<Expr>,
    },
    Cast(Box<Expr>, CastType),
    Subquery(Box<Query>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "OR",
            BinOp::And => "AND",
            BinOp::Eq => "=",
            BinOp::NotEq => "<>",
            BinOp::Lt => "<",
            BinOp::LtEq => "<=",
            BinOp::Gt => ">",
            BinOp::GtEq => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq
        )
    }
}

/// The types `cast(x AS type)` accepts with SQL 2016-03-23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CastType {
    String,
    Int,
    Decimal,
    /// `Double`: a decimal of double precision.
    Double,
    Bool,
}

impl CastType {
    pub fn from_keyword(word: &str) -> Option<CastType> {
        let lower = word.to_ascii_lowercase();
        Some(match lower.as_str() {
            "string" | "nvarchar" | "text" | "ntext" | "varchar" => CastType::String,
            "int" | "integer" => CastType::Int,
            "decimal" => CastType::Decimal,
            "double" => CastType::Double,
            "bool" | "boolean" => CastType::Bool,
            _ => return None,
        })
    }
}

/// One entry of a select list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SelectItem {
    pub what: Selected,
    /// The output key: the alias, or the last name of a field path.
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Selected {
    /// `*`: every key of the current object.
    All,
    Expr(Expr),
}

/// The part of a statement that a nested query shares with the top level.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Projection {
    /// `SELECT VALUE`: the single item's value rather than an object.
    pub value: bool,
    pub items: Vec<SelectItem>,
}

/// A nested `(SELECT ... FROM <expr> [WHERE ...])`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub projection: Projection,
    pub from: Expr,
    pub filter: Option<Expr>,
}
