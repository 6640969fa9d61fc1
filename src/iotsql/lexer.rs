//! Splits IoT SQL text into tokens, each with the byte range it came from.
//!
//! Words are not classified here: whether `value` or `end` is a keyword
//! depends on where it stands (`a.end` is a field), so the parser decides.
//! String literals may use single or double quotes, as the reference's
//! examples do (`'base64'`, `"base64"`). The reference defines no escape
//! sequences, so a backslash in a literal is refused rather than guessed at.

use super::SqlError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Word(String),
    Str(String),
    Num(String),
    Sym(&'static str),
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Longest first, so `<=` is not read as `<` then `=`.
const SYMBOLS: [&str; 19] = [
    "<>", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", "*", "+", "-", "/", "%", "=",
    ":",
];
const SINGLE: [&str; 2] = ["<", ">"];

pub(crate) fn tokenize(sql: &str) -> Result<Vec<Token>, SqlError> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = sql[at..].chars().next() {
        if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        }
        let (tok, end) = next_token(sql, at, c)?;
        tokens.push(Token {
            tok,
            start: at,
            end,
        });
        at = end;
    }
    tokens.push(Token {
        tok: Tok::End,
        start: sql.len(),
        end: sql.len(),
    });
    Ok(tokens)
}

fn next_token(sql: &str, at: usize, c: char) -> Result<(Tok, usize), SqlError> {
    let rest = &sql[at..];
    if c == '\'' || c == '"' {
        return string(sql, at, c);
    }
    if c.is_ascii_digit() {
        let end = at + number_len(rest);
        return Ok((Tok::Num(sql[at..end].to_string()), end));
    }
    if c.is_alphabetic() || c == '_' {
        let len = rest
            .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        return Ok((Tok::Word(rest[..len].to_string()), at + len));
    }
    if let Some(sym) = SYMBOLS
        .iter()
        .chain(&SINGLE)
        .find(|s| rest.starts_with(**s))
    {
        return Ok((Tok::Sym(sym), at + sym.len()));
    }
    Err(unexpected_char(at, c))
}

fn unexpected_char(at: usize, c: char) -> SqlError {
    match c {
        '$' => SqlError::unsupported(at, "`$`", "SET variables are not supported"),
        '`' => SqlError::unsupported(
            at,
            "backquoted name",
            "use get(object, 'key') for keys that are not plain names",
        ),
        _ => SqlError::Unexpected {
            at,
            found: format!("`{c}`"),
            expected: "a name, a literal or an operator".into(),
        },
    }
}

fn string(sql: &str, at: usize, quote: char) -> Result<(Tok, usize), SqlError> {
    let body_start = at + 1;
    let Some(len) = sql[body_start..].find(quote) else {
        return Err(SqlError::UnclosedString { at });
    };
    let body = &sql[body_start..body_start + len];
    if let Some(i) = body.find('\\') {
        return Err(SqlError::unsupported(
            body_start + i,
            "escape sequence in a string literal",
            "the reference defines none; quote with the other quote character",
        ));
    }
    Ok((Tok::Str(body.to_string()), body_start + len + 1))
}

/// Digits, an optional fraction and an optional exponent; `1.` and `1e` stop
/// before the `.` or `e`, so `get(a, 1).b` still reads as a member access.
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let digits_from = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut len = digits_from(0);
    if b.get(len) == Some(&b'.') && b.get(len + 1).is_some_and(u8::is_ascii_digit) {
        len += 1 + digits_from(len + 1);
    }
    if matches!(b.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(len + 1), Some(b'+' | b'-')));
        let exp_digits = digits_from((len + 1 + sign).min(b.len()));
        if exp_digits > 0 {
            len += 1 + sign + exp_digits;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<Tok> {
        tokenize(sql).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_and_positions() {
        let tokens = tokenize("SELECT a.b AS c FROM 'x/+' WHERE n <= -2.5e3").unwrap();
        let texts: Vec<_> = tokens.iter().map(|t| (t.start, t.end)).collect();
        assert_eq!(texts[0], (0, 6));
        assert_eq!(tokens[7].tok, Tok::Str("x/+".into()));
        assert_eq!(tokens[7].start, 21);
        assert_eq!(tokens[10].tok, Tok::Sym("<="));
        assert_eq!(tokens[11].tok, Tok::Sym("-"));
        assert_eq!(tokens[12].tok, Tok::Num("2.5e3".into()));
    }

    #[test]
    fn numbers_stop_before_members() {
        assert_eq!(
            kinds("1.x 1e 2E-3 7."),
            vec![
                Tok::Num("1".into()),
                Tok::Sym("."),
                Tok::Word("x".into()),
                Tok::Num("1".into()),
                Tok::Word("e".into()),
                Tok::Num("2E-3".into()),
                Tok::Num("7".into()),
                Tok::Sym("."),
                Tok::End
            ]
        );
    }

    #[test]
    fn both_quotes_make_strings() {
        assert_eq!(
            kinds(r#"'it"s' "it's""#),
            vec![Tok::Str("it\"s".into()), Tok::Str("it's".into()), Tok::End]
        );
    }

    #[test]
    fn refusals_carry_positions() {
        assert_eq!(
            tokenize("SELECT 'ab"),
            Err(SqlError::UnclosedString { at: 7 })
        );
        assert!(matches!(
            tokenize(r"SELECT 'a\nb'"),
            Err(SqlError::Unsupported { at: 9, .. })
        ));
        assert!(matches!(
            tokenize("SELECT $x"),
            Err(SqlError::Unsupported { at: 7, .. })
        ));
        assert!(matches!(
            tokenize("SELECT a ; b"),
            Err(SqlError::Unexpected { at: 9, .. })
        ));
    }
}
