//! The topic rule's IoT SQL: the default statement fleet renders for a
//! The Things Network v3 uplink, and the checks a statement from the fleet
//! file gets before anything is deployed.
//!
//! The default statement writes one item per uplink whose keys are the
//! table's: `device_id` (the TTN device id) and `time` (epoch milliseconds
//! of `received_at`). TTN writes `received_at` in RFC 3339 with a varying
//! number of fractional digits, so the statement parses its first 19
//! characters, which are always the date and the whole seconds; two fixes
//! of one tracker within a second do not happen on LoRaWAN duty cycles.
//! IoT SQL has no comments, so the reasoning lives here rather than in the
//! statement.

/// The partition key attribute of the location table.
pub const PARTITION_KEY: &str = "device_id";

/// The sort key attribute of the location table.
pub const SORT_KEY: &str = "time";

/// The attribute DynamoDB's TTL reads, in epoch seconds.
pub const EXPIRY_ATTRIBUTE: &str = "expires_at";

const FIX_TIME: &str = "time_to_epoch(substring(replace(received_at, 'T', ' '), 0, 19), \
                        'yyyy-MM-dd HH:mm:ss')";

/// The statement fleet deploys when the fleet file names none.
pub fn default_sql(topic: &str, retention_days: Option<u32>) -> String {
    let payload = "uplink_message.decoded_payload";
    let mut fields = vec![
        format!("end_device_ids.device_id AS {PARTITION_KEY}"),
        format!("{FIX_TIME} AS {SORT_KEY}"),
        "received_at".to_string(),
        "end_device_ids.dev_eui AS dev_eui".to_string(),
        format!("{payload}.Latitude AS latitude"),
        format!("{payload}.Longitude AS longitude"),
        format!("{payload}.BatV AS battery"),
        "get(uplink_message.rx_metadata, 0).rssi AS rssi".to_string(),
        "get(uplink_message.rx_metadata, 0).snr AS snr".to_string(),
        // TTN writes 64-bit counters as strings and leaves out zero values;
        // the cast keeps the attribute a number whatever the JSON held.
        "cast(uplink_message.f_cnt AS Int) AS f_cnt".to_string(),
    ];
    if let Some(days) = retention_days {
        let seconds = u64::from(days) * 86_400;
        fields.push(format!(
            "floor({FIX_TIME} / 1000) + {seconds} AS {EXPIRY_ATTRIBUTE}"
        ));
    }

    // An uplink without a device id or time would make an item without
    // the table's keys, which PutItem refuses: skip it instead.
    format!(
        "SELECT {} FROM '{topic}' WHERE NOT isUndefined(end_device_ids.device_id) \
         AND NOT isUndefined(received_at) AND NOT isUndefined({payload})",
        fields.join(", ")
    )
}

/// What a rule statement must get right that can be seen without a full
/// IoT SQL parser: it is a SELECT, quotes and parentheses are balanced, and
/// it reads from one quoted, valid topic filter. Returns the problems and
/// the topic filter found.
pub fn check(sql: &str) -> (Vec<String>, Option<String>) {
    let mut problems = Vec::new();

    let trimmed = sql.trim_start();
    if trimmed.is_empty() {
        problems.push("the statement is empty; write a `SELECT ... FROM '<topic>'`".to_string());
        return (problems, None);
    }
    let first_word: String = trimmed
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if !first_word.eq_ignore_ascii_case("select") {
        let found: String = trimmed
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(20)
            .collect();
        problems.push(format!(
            "a rule statement starts with `SELECT`, this one with `{found}`"
        ));
    }
    if let Err(e) = balanced(sql) {
        problems.push(e);
        return (problems, None);
    }

    let topic = from_topic(sql);
    match &topic {
        None => problems.push(
            "a rule statement reads `FROM` a quoted topic filter, e.g. `FROM '+/devices/+/up'`"
                .to_string(),
        ),
        Some(filter) => {
            if let Err(e) = crate::names::topic_filter(filter) {
                problems.push(format!("its FROM topic `{filter}` is not valid: {e}"));
            }
        }
    }
    (problems, topic)
}

/// Checks that quotes close and parentheses nest, outside string literals;
/// a problem names the character where the unmatched one stands.
fn balanced(sql: &str) -> Result<(), String> {
    let mut open: Vec<usize> = Vec::new();
    let mut quote: Option<(char, usize)> = None;
    for (i, c) in sql.chars().enumerate() {
        let at = i + 1;
        match (quote, c) {
            (Some((q, _)), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some((c, at)),
            (None, '(') => open.push(at),
            (None, ')') => {
                open.pop()
                    .ok_or_else(|| format!("unmatched `)` at character {at}"))?;
            }
            _ => {}
        }
    }
    if let Some((q, at)) = quote {
        return Err(format!(
            "the string opened with `{q}` at character {at} is never closed"
        ));
    }
    if let Some(at) = open.last() {
        return Err(format!("the `(` at character {at} is never closed"));
    }
    Ok(())
}

/// The topic filter after the top-level `FROM`, outside string literals.
fn from_topic(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut quote: Option<u8> = None;
    let mut depth = 0;
    for i in 0..bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => continue,
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'(' => depth += 1,
            None if c == b')' => depth -= 1,
            None => {}
        }
        // Bytes, not `&lower[i..]`: `i` may fall inside a character like `é`.
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if quote.is_none() && depth == 0 && word_start && bytes[i..].starts_with(b"from") {
            let rest = sql[i + 4..].trim_start();
            let delimiter = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
            let body = &rest[1..];
            return body.find(delimiter).map(|end| body[..end].to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_statement_passes_its_own_checks() {
        let sql = default_sql("+/devices/+/up", Some(365));
        let (problems, topic) = check(&sql);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(topic.as_deref(), Some("+/devices/+/up"));
        assert!(sql.contains("+ 31536000 AS expires_at"));
        assert!(!default_sql("+/devices/+/up", None).contains(EXPIRY_ATTRIBUTE));
    }

    #[test]
    fn default_statement_is_valid_iot_sql() {
        for retention in [None, Some(30)] {
            let sql = default_sql("v3/cats@ttn/devices/+/up", retention);
            let statement = crate::iotsql::parse(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
            assert_eq!(statement.topic_filter(), "v3/cats@ttn/devices/+/up");
        }
    }

    #[test]
    fn finds_the_top_level_from() {
        let sql = "SELECT (SELECT v FROM e) AS x, 'from here' AS y FROM 'a/+/b' WHERE x > 1";
        assert_eq!(check(sql), (vec![], Some("a/+/b".to_string())));
    }

    #[test]
    fn reports_what_is_wrong() {
        let cases = [
            ("DELETE * FROM 'a'", "starts with `SELECT`"),
            ("SELECT * FROM a", "quoted topic filter"),
            ("SELECT (a FROM 'a'", "never closed"),
            ("SELECT a) FROM 'a'", "unmatched `)`"),
            ("SELECT 'a FROM 'a'", "never closed"),
            ("SELECT * FROM 'a/#/b'", "is not valid"),
            ("SELECT reçu FROM a", "quoted topic filter"),
            ("  ", "is empty"),
        ];
        for (sql, expected) in cases {
            let (problems, _) = check(sql);
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{sql}: {problems:?}"
            );
        }
    }
}
