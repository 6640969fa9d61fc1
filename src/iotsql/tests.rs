//! Tests of the whole pipeline: statements from the reference's examples,
//! a table per function, fleet's default statement on a real TTN uplink,
//! and properties that no input makes the parser or evaluator panic.

use serde_json::{Value as Json, json};

use super::eval::{Env, eval};
use super::explain::show;
use super::parser::parse_expression;
use super::value::Value;
use super::*;

fn ctx() -> Context {
    Context::new("a/b", 1_481_825_251_155)
}

/// Runs a statement on topic `a/b`.
fn run(sql: &str, payload: Json) -> Outcome {
    let statement = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    evaluate(&statement, &payload, &ctx()).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn selected(sql: &str, payload: Json) -> Json {
    match run(sql, payload) {
        Outcome::Selected(json) => json,
        other => panic!("{sql}: {other:?}"),
    }
}

/// An expression's value against a payload, as `show` writes it.
fn value_of(expr: &str, payload: &Json) -> String {
    let parsed = parse_expression(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let this = Value::from_json(payload).unwrap();
    let context = ctx();
    let env = Env {
        ctx: &context,
        raw: None,
    };
    show(&eval(&parsed, &this, &env).unwrap_or_else(|e| panic!("{expr}: {e}")))
}

fn check_values(payload: &Json, cases: &[(&str, &str)]) {
    for (expr, expected) in cases {
        assert_eq!(value_of(expr, payload), *expected, "{expr}");
    }
}

mod parsing {
    use super::*;

    #[test]
    fn refusals_name_the_construct_and_position() {
        let cases = [
            (
                "SELECT machinelearning_predict('m', 'r', *) FROM 'a'",
                "unsupported function `machinelearning_predict` at 7",
            ),
            (
                "SELECT strlen(a) AS n FROM 'a'",
                "unknown function `strlen` at 7; did you mean `length`?",
            ),
            (
                "SELECT isString(a) AS n FROM 'a'",
                "unknown function `isString` at 7",
            ),
            (
                "SELECT md5(a) AS h FROM 'a'",
                "unsupported function `md5` at 7",
            ),
            (
                "SELECT CASE WHEN a > 1 THEN 2 END AS c FROM 'a'",
                "unsupported searched CASE at 12; the reference defines",
            ),
            (
                "SELECT * FROM 'a' WHERE x IN (1, 2)",
                "unsupported operator `IN` at 26",
            ),
            (
                "SELECT a[0] AS x FROM 'a'",
                "unsupported array index `[...]`",
            ),
            ("SET $x = 1 SELECT * FROM 'a'", "unsupported SET clause"),
            (
                "SELECT * FROM \"a/b\"",
                "expected a topic filter in single quotes",
            ),
            (
                "SELECT * FROM 'a/#/b'",
                "invalid topic filter 'a/#/b' at 14",
            ),
            (
                "SELECT *",
                "unexpected the end of the statement at 8; expected FROM",
            ),
            ("SELECT a AS b.c FROM 'a'", "unsupported dotted alias at 12"),
            (
                "SELECT upper(a) FROM 'a'",
                "unsupported expression without `AS` at 7; the reference",
            ),
            (
                "SELECT get(a, 0).b FROM 'a'",
                "unsupported expression without `AS` at 7",
            ),
            (
                "SELECT 'a\\'b' AS x FROM 'a'",
                "unsupported escape sequence",
            ),
            (
                "SELECT encode(a, 'hex') AS x FROM 'a'",
                "unsupported encode scheme `hex`",
            ),
            (
                "SELECT time_to_epoch(t, 'EEE yyyy') AS x FROM 'a'",
                "unsupported pattern letters `EEE` in time_to_epoch at 7",
            ),
            (
                "SELECT parse_time('yyyy', 1, 'Europe/Amsterdam') AS x FROM 'a'",
                "unsupported time zone `Europe/Amsterdam`",
            ),
            (
                "SELECT a FROM 'a' WHERE",
                "unexpected the end of the statement at 23",
            ),
            (
                "SELECT a FROM 'a' extra",
                "unexpected `extra` at 18; expected the end",
            ),
            (
                "SELECT 1e5000 AS x FROM 'a'",
                "the number `1e5000` at 7 is out of IoT SQL's range",
            ),
            (
                "SELECT cast(a AS Date) AS x FROM 'a'",
                "expected a cast type",
            ),
            (
                "SELECT VALUE a, b FROM 'a'",
                "expected one expression after SELECT VALUE",
            ),
            (
                "DELETE FROM 'a'",
                "unexpected `DELETE` at 0; expected SELECT",
            ),
            ("SELECT `a` FROM 'a'", "unsupported backquoted name at 7"),
        ];
        for (sql, message) in cases {
            let err = parse(sql).expect_err(sql).to_string();
            assert!(
                err.contains(message),
                "{sql}\n  got: {err}\n want: {message}"
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "SELECT {}1{} AS x FROM 'a'",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(matches!(parse(&deep), Err(SqlError::TooDeep { .. })));
        let long = format!("SELECT 1{} AS x FROM 'a'", " + 1".repeat(5000));
        assert!(matches!(parse(&long), Err(SqlError::TooDeep { .. })));
        let negations = format!("SELECT * FROM 'a' WHERE {}true", "NOT ".repeat(500));
        assert!(matches!(parse(&negations), Err(SqlError::TooDeep { .. })));
    }

    #[test]
    fn keywords_are_case_insensitive_and_fields_are_not() {
        let statement = parse("select Value Color from 'a/+' where Color <> 'red'").unwrap();
        assert_eq!(statement.topic_filter(), "a/+");
        assert!(statement.matches_topic("a/b"));
        assert!(!statement.matches_topic("a/b/c"));
        assert_eq!(
            selected("select value Color from 'a/b'", json!({"Color": "x"})),
            json!("x")
        );
        assert_eq!(
            selected("SELECT value FROM 'a/b'", json!({"value": 1})),
            json!({"value": 1})
        );
        assert_eq!(
            selected("SELECT a.end AS e FROM 'a/b'", json!({"a": {"end": 2}})),
            json!({"e": 2})
        );
    }
}

mod reference_examples {
    use super::*;

    const PAYLOAD: fn() -> Json = || json!({"color": "red", "temperature": 50});

    #[test]
    fn select_clause() {
        let cases = [
            (
                "SELECT * FROM 'a/b'",
                json!({"color": "red", "temperature": 50}),
            ),
            ("SELECT color FROM 'a/b'", json!({"color": "red"})),
            (
                "SELECT color AS my_color FROM 'a/b'",
                json!({"my_color": "red"}),
            ),
            (
                "SELECT color as my_color, temperature as fahrenheit FROM 'a/b'",
                json!({"my_color": "red", "fahrenheit": 50}),
            ),
            (
                "SELECT *, 15 as speed FROM 'a/b'",
                json!({"color": "red", "temperature": 50, "speed": 15}),
            ),
            ("SELECT VALUE color FROM 'a/b'", json!("red")),
            (
                "SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 'a/b'",
                json!({"celsius": 10, "my_color": "RED"}),
            ),
            ("SELECT missing, color FROM 'a/b'", json!({"color": "red"})),
            ("SELECT NULL AS n FROM 'a/b'", json!({"n": null})),
        ];
        for (sql, expected) in cases {
            assert_eq!(selected(sql, PAYLOAD()), expected, "{sql}");
        }
        let nested = json!({"color": {"red": 255, "green": 0, "blue": 0}, "temperature": 50});
        assert_eq!(
            selected("SELECT color.red as red_value FROM 'a/b'", nested),
            json!({"red_value": 255})
        );
    }

    #[test]
    fn where_clause_and_topics() {
        let sql = "SELECT color AS my_color FROM 'a/b' WHERE temperature > 50 AND color <> 'red'";
        let hot = json!({"color": "red", "temperature": 40});
        let Outcome::WhereNotTrue(why) = run(sql, hot) else {
            panic!("the WHERE is false");
        };
        assert_eq!(why.value, "false");
        assert_eq!(
            why.reasons,
            vec![
                "`temperature > 50` is false: the left side is 40, the right side is 50",
                "`color <> 'red'` is false: the left side is \"red\", the right side is \"red\"",
            ]
        );

        let statement = parse("SELECT temperature AS t FROM 'a/+'").unwrap();
        let outcome = evaluate(&statement, &json!({}), &Context::new("a/e/f", 0)).unwrap();
        assert_eq!(
            outcome,
            Outcome::TopicMismatch {
                filter: "a/+".into(),
                topic: "a/e/f".into()
            }
        );
    }

    #[test]
    fn literals_and_case() {
        let lat_long = json!({"lat_long": [47.606, -122.332]});
        assert_eq!(
            selected(
                "SELECT {'latitude': get(lat_long, 0),'longitude':get(lat_long, 1)} as lat_long \
                 FROM 'a/b'",
                lat_long
            ),
            json!({"lat_long": {"latitude": 47.606, "longitude": -122.332}})
        );
        assert_eq!(
            selected(
                "SELECT [lat,long] as lat_long FROM 'a/b'",
                json!({"lat": 47.696, "long": -122.332})
            ),
            json!({"lat_long": [47.696, -122.332]})
        );
        let case = "SELECT CASE color WHEN 'green' THEN 'go' WHEN 'yellow' THEN 'caution' \
                    WHEN 'red' THEN 'stop' ELSE 'you are not at a stop light' END as instructions \
                    FROM 'a/b'";
        assert_eq!(
            selected(case, json!({"color": "yellow"})),
            json!({"instructions": "caution"})
        );
        assert_eq!(
            selected(case, json!({"color": "blue"})),
            json!({"instructions": "you are not at a stop light"})
        );
        assert_eq!(selected(case, json!({})), json!({}));
        let no_else = "SELECT CASE n WHEN 1 THEN 'one' END AS w FROM 'a/b'";
        assert_eq!(selected(no_else, json!({"n": 2})), json!({}));
        let condition = "SELECT CASE true WHEN n > 1 THEN 'big' ELSE 'small' END AS w FROM 'a/b'";
        assert_eq!(selected(condition, json!({"n": 2})), json!({"w": "big"}));
    }

    #[test]
    fn nested_object_queries() {
        let message = json!({"e": [
            {"n": "temperature", "u": "Cel", "t": 1234, "v": 22.5},
            {"n": "light", "u": "lm", "t": 1235, "v": 135},
            {"n": "acidity", "u": "pH", "t": 1235, "v": 7},
        ]});
        let cases = [
            (
                "SELECT (SELECT VALUE n FROM e) as sensors FROM 'a/b'",
                json!({"sensors": ["temperature", "light", "acidity"]}),
            ),
            (
                "SELECT (SELECT v FROM e WHERE n = 'temperature') as temperature FROM 'a/b'",
                json!({"temperature": [{"v": 22.5}]}),
            ),
            (
                "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v as temperature \
                 FROM 'a/b'",
                json!({"temperature": 22.5}),
            ),
        ];
        for (sql, expected) in cases {
            assert_eq!(selected(sql, message.clone()), expected, "{sql}");
        }
    }

    #[test]
    fn transform_examples() {
        let message =
            json!({"attributes": {"data1": 1, "data2": 2}, "values": [{"a": 3}, {"b": 4}]});
        assert_eq!(
            selected(
                "select value transform(\"enrichArray\", attributes, values) from 'a/b'",
                message.clone()
            ),
            json!([{"a": 3, "data1": 1, "data2": 2}, {"b": 4, "data1": 1, "data2": 2}])
        );
        assert_eq!(
            selected(
                "select value transform(\"enrichArray\", {\"key\": attributes.data1}, values) \
                 from 'a/b'",
                message
            ),
            json!([{"a": 3, "key": 1}, {"b": 4, "key": 1}])
        );
        let third =
            json!({"data2": {"a": "first", "b": "second", "c": [{"y": true}, {"y": false}]}});
        assert_eq!(
            selected(
                "select value transform('enrichArray', (select a, b from data2), \
                 (select value c from data2)) from 'a/b'",
                third
            ),
            json!([
                {"y": true, "a": "first", "b": "second"},
                {"y": false, "a": "first", "b": "second"}
            ])
        );
    }

    #[test]
    fn decode_and_encode() {
        let message = json!({"encoded_temp": "eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg=="});
        assert_eq!(
            selected(
                "SELECT decode(encoded_temp,\"base64\").temperature AS temp from 'a/b'",
                message
            ),
            json!({"temp": 33})
        );
        let statement = parse("SELECT encode(*, 'base64') AS data FROM 'a/b'").unwrap();
        let mut context = ctx();
        context.raw_payload = Some(b"80".to_vec());
        let outcome = evaluate(&statement, &json!(80), &context).unwrap();
        assert_eq!(outcome, Outcome::Selected(json!({"data": "ODA="})));
        let both = "SELECT decode(encode(*, 'base64'), 'base64') AS value FROM 'a/b' \
                    WHERE decode(encode(*, 'base64'), 'base64') > 50";
        assert_eq!(
            evaluate(&parse(both).unwrap(), &json!(80), &context).unwrap(),
            Outcome::Selected(json!({"value": 80}))
        );
    }
}

mod undefined {
    use super::*;

    #[test]
    fn propagates_and_is_left_out() {
        let payload = json!({"a": 1, "s": "x", "n": null});
        check_values(
            &payload,
            &[
                ("missing", "Undefined"),
                ("a.b", "Undefined"),
                ("missing + 1", "Undefined"),
                ("-missing", "Undefined"),
                ("missing = missing", "Undefined"),
                ("missing <> 1", "Undefined"),
                ("missing > 1", "Undefined"),
                ("NOT missing", "Undefined"),
                ("missing AND true", "Undefined"),
                ("upper(missing)", "Undefined"),
                ("n", "null"),
                ("n = null", "true"),
                ("isUndefined(missing)", "true"),
                ("isUndefined(n)", "false"),
                ("isNull(n)", "true"),
                ("isNull(missing)", "false"),
                ("[a, missing, 2]", "[1,2]"),
                ("{'x': missing, 'y': a}", "{\"y\":1}"),
                ("nanvl(missing, 'fallback')", "\"fallback\""),
                ("nanvl(n, 2)", "2"),
                ("nanvl(a, 2)", "1"),
            ],
        );
    }

    #[test]
    fn where_must_be_exactly_true() {
        for (condition, value) in [("'true'", "\"true\""), ("missing", "Undefined"), ("1", "1")] {
            let sql = format!("SELECT * FROM 'a/b' WHERE {condition}");
            let Outcome::WhereNotTrue(why) = run(&sql, json!({})) else {
                panic!("{sql} selected");
            };
            assert_eq!(why.value, value);
        }
    }

    #[test]
    fn where_diagnosis_finds_the_missing_key() {
        let sql = "SELECT * FROM 'a/b' WHERE NOT isUndefined(up.decoded.lat) AND up.f_port = 2";
        let Outcome::WhereNotTrue(why) = run(sql, json!({"up": {"f_port": 3}})) else {
            panic!("the WHERE is false");
        };
        assert_eq!(why.value, "false");
        assert_eq!(
            why.reasons,
            vec![
                "`isUndefined(up.decoded.lat)` is true",
                "`up.decoded` is Undefined: `up` has no key `decoded`",
                "`up.f_port = 2` is false: the left side is 3, the right side is 2",
            ]
        );
        let Outcome::WhereNotTrue(why) =
            run("SELECT * FROM 'a/b' WHERE a.b + 1 > 0", json!({"a": 5}))
        else {
            panic!("the WHERE is Undefined");
        };
        assert_eq!(why.value, "Undefined");
        assert_eq!(
            why.reasons,
            vec!["`a.b` is Undefined: `a` is 5 (a Int), not an object"]
        );
        let Outcome::WhereNotTrue(why) = run("SELECT * FROM 'a/b' WHERE true + 1 > 0", json!({}))
        else {
            panic!("the WHERE is Undefined");
        };
        assert_eq!(
            why.reasons,
            vec!["`true + 1` is Undefined: `+` gives Undefined for (Boolean, Int)"]
        );
    }
}

mod functions_by_table {
    use super::*;

    #[test]
    fn numbers() {
        check_values(
            &json!({"s": "-5.123", "b": true}),
            &[
                ("abs(-5)", "5"),
                ("abs(s)", "5.123"),
                ("abs(b)", "Undefined"),
                ("abs('x')", "Undefined"),
                ("ceil(1.2)", "2"),
                ("ceil(-1.2)", "-1"),
                ("ceil('1.2')", "2"),
                ("floor(1.2)", "1"),
                ("floor(-1.2)", "-2"),
                ("floor([1,2,3])", "Undefined"),
                ("isUndefined(floor([1,2,3]))", "true"),
                ("Round(1.2)", "1"),
                ("Round(1.5)", "2"),
                ("Round(1.7)", "2"),
                ("Round(-1.1)", "-1"),
                ("Round(-1.5)", "-2"),
                ("sign(-7)", "-1"),
                ("sign(0)", "0"),
                ("sign('13')", "1"),
                ("trunc(2.3, 0)", "2"),
                ("trunc(2.3123, 2)", "2.31"),
                ("trunc(2.888, 2)", "2.88"),
                ("trunc(2.00, 5)", "2"),
                ("mod(8, 3)", "2"),
                ("remainder(8, 3)", "2"),
                ("8 % 3", "2"),
                ("bitand(13, 5)", "5"),
                ("bitor(8, 5)", "13"),
                ("bitxor(13, 5)", "8"),
                ("bitnot(13)", "-14"),
                ("chr(65)", "\"A\""),
                ("chr('49')", "\"1\""),
                ("chr(300)", "Undefined"),
                ("power(2, 5)", "32"),
                ("sqrt(9)", "3"),
                ("sqrt(-1)", "Undefined"),
                ("log(100)", "2"),
                ("acos(0)", "1.5707963267948966"),
                ("atan2(1, 0)", "1.5707963267948966"),
                ("cosh(2.3)", "5.037220649268761"),
                ("tan(3)", "-0.1425465430742778"),
                ("ln(0)", "Undefined"),
                ("topic(2)", "\"b\""),
                ("topic('1')", "\"a\""),
                ("topic(3)", "Undefined"),
                ("topic(-9223372036854775808)", "Undefined"),
            ],
        );
    }

    #[test]
    fn strings() {
        check_values(
            &json!({"n": null}),
            &[
                ("concat()", "Undefined"),
                ("concat(1)", "\"1\""),
                ("concat([1, 2, 3], 4)", "[1,2,3,4]"),
                ("concat([1, 2, 3], \"hello\")", "[1,2,3,\"hello\"]"),
                ("concat(\"con\", \"cat\")", "\"concat\""),
                ("concat(1, \"hello\")", "\"1hello\""),
                ("concat(\"he\",\"is\",\"man\")", "\"heisman\""),
                (
                    "concat([1, 2, 3], \"hello\", [4, 5, 6])",
                    "[1,2,3,\"hello\",4,5,6]",
                ),
                ("concat('a', n)", "Undefined"),
                ("endswith(\"cat\",\"at\")", "true"),
                ("endswith(123, 3)", "true"),
                ("endswith(n, 'a')", "Undefined"),
                ("startswith(\"ranger\",\"ran\")", "true"),
                ("startswith('x', missing)", "Undefined"),
                ("indexof(\"abcd\", \"bc\")", "1"),
                ("indexof('abcd', 'z')", "-1"),
                ("length(\"hi\")", "2"),
                ("length(false)", "5"),
                ("length('€')", "1"),
                ("length('🐈')", "2"),
                ("numbytes(\"hi\")", "2"),
                ("numbytes(\"€\")", "3"),
                ("lower(\"HELLO\")", "\"hello\""),
                ("lower([\"HELLO\"])", "\"[\\\"hello\\\"]\""),
                ("upper(\"hello\")", "\"HELLO\""),
                ("upper([\"hello\"])", "\"[\\\"HELLO\\\"]\""),
                ("lpad(\"hello\", 2)", "\"  hello\""),
                ("lpad(1, 3)", "\"   1\""),
                ("rpad(\"hello\", 2)", "\"hello  \""),
                ("rpad('a', -4)", "\"a\""),
                ("lpad('a', true)", "Undefined"),
                ("Ltrim(\" h i \")", "\"h i \""),
                ("rtrim(\" h i \")", "\" h i\""),
                ("Trim(\" hi \")", "\"hi\""),
                ("trim(n)", "Undefined"),
                ("replace(\"abcd\", \"bc\", \"x\")", "\"axd\""),
                ("replace(\"abcdabcd\", \"b\", \"x\")", "\"axcdaxcd\""),
                ("replace('a', n, 'b')", "Undefined"),
            ],
        );
    }

    #[test]
    fn substring_follows_its_index_rules() {
        check_values(
            &json!({}),
            &[
                ("substring(\"012345\", 0)", "\"012345\""),
                ("substring(\"012345\", 2)", "\"2345\""),
                ("substring(\"012345\", 2.745)", "\"2345\""),
                ("substring(123, 2)", "\"3\""),
                ("substring(\"012345\", -1)", "\"012345\""),
                ("substring(true, 1.2)", "\"rue\""),
                ("substring(false, -2.411E247)", "\"false\""),
                ("substring(\"012345\", 1, 3)", "\"12\""),
                ("substring(\"012345\", -50, 50)", "\"012345\""),
                ("substring(\"012345\", 3, 1)", "\"\""),
                ("substring('012345', 6)", "\"\""),
                ("substring('012345', '1', '2')", "\"1\""),
                ("substring('012345', 'x')", "Undefined"),
                ("substring(missing, 1)", "Undefined"),
                (
                    "substring('2026-12-01T10:15:30.1Z', 0, 19)",
                    "\"2026-12-01T10:15:30\"",
                ),
            ],
        );
    }

    #[test]
    fn get_and_cast() {
        check_values(
            &json!({"o": {"a": "b"}}),
            &[
                ("get([\"a\", \"b\", \"c\"], 1)", "\"b\""),
                ("get({\"a\":\"b\"}, \"a\")", "\"b\""),
                ("get(\"abc\", 1)", "\"b\""),
                ("get([1, 2], '1')", "2"),
                ("get([1, 2], 0.6)", "2"),
                ("get([1, 2], 2)", "Undefined"),
                ("get([1, 2], -1)", "Undefined"),
                ("get(o, 'a')", "\"b\""),
                ("get(o, 1)", "Undefined"),
                ("get(5, 0)", "Undefined"),
                ("cast(true as Int)", "1"),
                ("cast(2.7 as Int)", "2"),
                ("cast(-2.5 as Integer)", "-3"),
                ("cast('5E-12' as Decimal)", "5E-12"),
                ("cast('-1.2' as Int)", "-2"),
                ("cast(false as Decimal)", "0"),
                ("cast(0 as Bool)", "false"),
                ("cast(0.1 as Boolean)", "true"),
                ("cast('TRUE' as Bool)", "true"),
                ("cast('yes' as Bool)", "Undefined"),
                ("cast(1.5 as String)", "\"1.5\""),
                ("cast(true as varchar)", "\"true\""),
                ("cast([1, 'a'] as String)", "\"[1,\\\"a\\\"]\""),
                ("cast(null as String)", "Undefined"),
                ("cast(0.1 as Double)", "0.1"),
                ("cast(o as Int)", "Undefined"),
            ],
        );
    }

    #[test]
    fn context_functions() {
        let mut context = Context::new(
            "$aws/rules/rule/things/myThings/thingOne",
            1_481_825_251_155,
        );
        context.trace_id = Some("12345678-1234-1234-1234-123456789012".into());
        let sql = "SELECT topic() AS t, topic(1) AS t1, topic(3) AS t3, topic(4) AS t4, \
                   topic(0) AS t0, clientid() AS c, timestamp() AS ts, traceid() AS tr, \
                   sql_version() AS v FROM '#'";
        let outcome = evaluate(&parse(sql).unwrap(), &json!({}), &context).unwrap();
        assert_eq!(
            outcome,
            Outcome::Selected(json!({
                "t": "things/myThings/thingOne", "t1": "things", "t3": "thingOne",
                "c": "n/a", "ts": 1_481_825_251_155_i64,
                "tr": "12345678-1234-1234-1234-123456789012", "v": "2016-03-23",
            }))
        );
        let needs_principal = parse("SELECT principal() AS p FROM '#'").unwrap();
        assert_eq!(
            evaluate(&needs_principal, &json!({}), &ctx()),
            Err(EvalError::MissingContext {
                at: 7,
                function: "principal()"
            })
        );
        let uuid = value_of("newuuid()", &json!({}));
        assert_eq!(uuid.len(), 38, "{uuid}");
    }

    #[test]
    fn times() {
        check_values(
            &json!({"t": "2026-12-01 10:15:30"}),
            &[
                ("time_to_epoch(t, 'yyyy-MM-dd HH:mm:ss')", "1796120130000"),
                (
                    "time_to_epoch(\"2020-04-03 09:45:18 UTC+01:00\", \"yyyy-MM-dd HH:mm:ss VV\")",
                    "1585903518000",
                ),
                (
                    "time_to_epoch(\"18 December 2015\", \"dd MMMM yyyy\")",
                    "1450396800000",
                ),
                ("time_to_epoch(t, 'yyyy-MM-dd')", "Undefined"),
                ("time_to_epoch(missing, 'yyyy')", "Undefined"),
                ("parse_time('yyyy', 1796120130000)", "\"2026\""),
                (
                    "parse_time(\"yyyy.MM.dd G 'at' HH:mm:ss z\", 100000000, 'UTC')",
                    "\"1970.01.02 AD at 03:46:40 UTC\"",
                ),
                ("parse_time('HH:mm', '3600000', '+01:00')", "\"02:00\""),
                ("parse_time('yyyy', 'soon')", "Undefined"),
            ],
        );
        let region = "SELECT time_to_epoch(t, 'yyyy-MM-dd HH:mm:ss.SSS z') AS x FROM 'a/b'";
        let payload = json!({"t": "2007-12-03 10:15:30.592 America/Los_Angeles"});
        let err = evaluate(&parse(region).unwrap(), &payload, &ctx()).unwrap_err();
        assert!(err.to_string().contains("America/Los_Angeles"), "{err}");
    }
}

mod fleet_default_statement {
    use super::*;
    use crate::rule_sql::{PARTITION_KEY, SORT_KEY, default_sql};

    fn uplink() -> Json {
        json!({
            "end_device_ids": {
                "device_id": "snowy-lgt92",
                "application_ids": {"application_id": "backyard-cats"},
                "dev_eui": "A84041000181C61F",
                "join_eui": "A840410000000101",
                "dev_addr": "260B1E2A"
            },
            "correlation_ids": ["as:up:01JEXAMPLE", "rpc:/ttn.lorawan.v3.AppAs/SimulateUplink:1"],
            "received_at": "2026-12-01T10:15:30.123456789Z",
            "uplink_message": {
                "session_key_id": "AYy8a2FhbA==",
                "f_port": 2,
                "f_cnt": "1234",
                "frm_payload": "AyN7YgBLv4AL3GAAPUY=",
                "decoded_payload": {
                    "ALARM_status": "FALSE",
                    "BatV": 3.012,
                    "FW": 160,
                    "LON": "ON",
                    "Latitude": 52.370216,
                    "Longitude": 4.895168,
                    "MD": "Move",
                    "Pitch": -1.5,
                    "Roll": 2.25
                },
                "rx_metadata": [
                    {
                        "gateway_ids": {"gateway_id": "attic-gw", "eui": "B827EBFFFE123456"},
                        "time": "2026-12-01T10:15:30.101Z",
                        "timestamp": 2932418011_u64,
                        "rssi": -97,
                        "channel_rssi": -97,
                        "snr": 9.25,
                        "uplink_token": "ChIKEAoIYXR0aWMtZ3cSBLgn6/8Q2+b1pgs="
                    },
                    {"gateway_ids": {"gateway_id": "shed-gw"}, "rssi": -112, "snr": -3.5}
                ],
                "settings": {
                    "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}},
                    "frequency": "868100000",
                    "timestamp": 2932418011_u64
                },
                "received_at": "2026-12-01T10:15:30.118Z",
                "consumed_airtime": "0.061696s"
            }
        })
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.into())
    }
    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.into())
    }

    #[test]
    fn a_ttn_uplink_becomes_the_expected_item() {
        let statement = parse(&default_sql("+/devices/+/up", Some(365))).unwrap();
        let context = Context::new("backyard-cats/devices/snowy-lgt92/up", 1_796_120_131_000);
        let outcome = evaluate(&statement, &uplink(), &context).unwrap();
        let result = outcome
            .selected_object()
            .expect("the rule selects an object");

        let keys = [(PARTITION_KEY, KeyType::S), (SORT_KEY, KeyType::N)];
        let item = dynamodb_item(result, &keys).unwrap();
        let expected: Item = [
            ("device_id", s("snowy-lgt92")),
            ("time", n("1796120130000")),
            ("received_at", s("2026-12-01T10:15:30.123456789Z")),
            ("dev_eui", s("A84041000181C61F")),
            ("latitude", n("52.370216")),
            ("longitude", n("4.895168")),
            ("battery", n("3.012")),
            ("rssi", n("-97")),
            ("snr", n("9.25")),
            // TTN writes this int64-style field as a string here; the
            // statement casts it so the attribute is always a number.
            ("f_cnt", n("1234")),
            ("expires_at", n("1827656130")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(item, expected);
    }

    #[test]
    fn uplinks_without_a_location_are_diagnosed() {
        let statement = parse(&default_sql("+/devices/+/up", None)).unwrap();
        let context = Context::new("backyard-cats/devices/snowy-lgt92/up", 0);
        let mut join = uplink();
        join["uplink_message"]
            .as_object_mut()
            .unwrap()
            .remove("decoded_payload");
        let Outcome::WhereNotTrue(why) = evaluate(&statement, &join, &context).unwrap() else {
            panic!("an uplink without decoded_payload is skipped");
        };
        assert_eq!(
            why.reasons,
            vec![
                "`isUndefined(uplink_message.decoded_payload)` is true",
                "`uplink_message.decoded_payload` is Undefined: `uplink_message` has no key \
                 `decoded_payload`",
            ]
        );
        let wrong_topic = Context::new("v3/cats@ttn/devices/snowy/up", 0);
        assert!(matches!(
            evaluate(&statement, &uplink(), &wrong_topic).unwrap(),
            Outcome::TopicMismatch { .. }
        ));
    }
}

mod no_panics {
    use super::*;
    use proptest::prelude::*;

    const STATEMENTS: [&str; 7] = [
        "SELECT *, get(a, 0).b AS x, a.b.c AS y, -a AS z FROM '#' WHERE NOT isUndefined(a)",
        "SELECT VALUE (SELECT v, n + 1 AS m FROM e WHERE n = 'x') FROM '#'",
        "SELECT substring(s, n, m) AS s, time_to_epoch(s, 'yyyy-MM-dd') AS t, \
         parse_time('yyyy-MM-dd HH:mm:ss.SSS', n) AS p, trunc(n, m) AS q FROM '#'",
        "SELECT n * m / 3 % 7 AS r, n + s AS c, cast(s AS Int) AS i, lpad(s, n) AS l, \
         concat(a, s, e) AS k, decode(s, 'base64') AS d, power(n, m) AS w FROM '#'",
        "SELECT CASE n WHEN 1 THEN 'a' WHEN s THEN e ELSE {'k': [n, m]} END AS c, \
         transform('enrichArray', a, e) AS t, chr(n) AS h, bitnot(m) AS b FROM '#' \
         WHERE n > m OR s <> 'x' AND a = e",
        "SELECT * FROM '#'",
        "SELECT topic(n) AS t, get(e, n) AS g, get(s, m) AS h, round(n) AS r, abs(m) AS a, \
         parse_time(s, n, s) AS p, time_to_epoch(s, s) AS q, indexof(s, e) AS i, \
         encode(*, 'base64') AS x, sqrt(n) AS w, ceil(m) AS c, nanvl(a, n) AS v FROM '#'",
    ];

    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<f64>().prop_map(Json::from),
            prop_oneof![Just(-1.5e300), Just(1e-300), Just(0.1)].prop_map(Json::from),
            "[a-z0-9 .:+-]{0,24}".prop_map(Json::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::btree_map("[a-emns]", inner, 0..6)
                    .prop_map(|m| Json::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Fragments of IoT SQL, so random statements get past the first token.
    fn sql_text() -> impl Strategy<Value = String> {
        let fragment = prop_oneof![
            Just("SELECT ".to_string()),
            Just(" FROM '#' ".to_string()),
            Just(" WHERE ".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just(",".to_string()),
            Just(" AS x".to_string()),
            Just(" CASE a WHEN 1 THEN 2 ELSE 3 END ".to_string()),
            Just("get(".to_string()),
            Just("substring(".to_string()),
            Just("(SELECT VALUE n FROM e)".to_string()),
            "[a-z.*+/%<>=!'\"{}\\[\\]: 0-9-]{1,8}",
            any::<String>(),
        ];
        prop::collection::vec(fragment, 0..24).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn parse_never_panics(sql in sql_text()) {
            let _ = parse(&sql);
        }

        #[test]
        fn parse_never_panics_on_any_string(sql in any::<String>()) {
            let _ = parse(&sql);
        }

        #[test]
        fn evaluate_never_panics(payload in json_value(), topic in "[a-z/#$+]{0,12}") {
            let context = Context::new(&topic, 1_796_120_130_000);
            for sql in STATEMENTS {
                let statement = parse(sql).unwrap();
                let _ = evaluate(&statement, &payload, &context);
            }
            let _ = substitute("${topic(2)}-${a.b}-${n + 1}", &payload, &context);
            if let Some(result) = payload.as_object() {
                let _ = dynamodb_item(result, &[("a", KeyType::S), ("n", KeyType::N)]);
            }
        }

        #[test]
        fn parsed_statements_evaluate_without_panicking(
            sql in sql_text(),
            payload in json_value(),
        ) {
            if let Ok(statement) = parse(&sql) {
                let _ = evaluate(&statement, &payload, &Context::new("a", 0));
            }
        }
    }
}
