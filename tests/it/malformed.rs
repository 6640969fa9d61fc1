//! The malformed fleet file suite: every file under `tests/malformed/`
//! declares, in `# expect:` comment lines at its top, exactly the problems
//! fleet must report for it, as `LINE:COL: KEY: MESSAGE`.

use std::path::Path;

use fleet::fleetfile;

use crate::harness;

/// The expected problems written at the top of a malformed file.
fn expected(text: &str) -> Vec<String> {
    text.lines()
        .map_while(|line| line.strip_prefix('#'))
        .filter_map(|line| line.trim().strip_prefix("expect:"))
        .map(|e| e.trim().to_string())
        .collect()
}

fn reported(text: &str, path: &Path) -> Vec<String> {
    let problems = match fleetfile::from_str(text, path) {
        Ok(_) => return Vec::new(),
        Err(problems) => problems,
    };
    problems
        .list
        .iter()
        .map(|p| match p.key.as_str() {
            "" => format!("{}:{}: {}", p.pos.line, p.pos.col, p.message),
            key => format!("{}:{}: {key}: {}", p.pos.line, p.pos.col, p.message),
        })
        .collect()
}

#[test]
fn every_malformed_file_reports_exactly_its_problems() {
    let dir = harness::repo("tests/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/malformed exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "the suite holds {} files, fewer than 40",
        files.len()
    );

    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable fixture");
        let want = expected(&text);
        assert!(
            !want.is_empty(),
            "{} has no `# expect:` line",
            path.display()
        );
        let got = reported(&text, path);
        if got != want {
            failures.push(format!(
                "{}\n  want: {want:#?}\n  got:  {got:#?}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// The binary turns the same problems into `file:line:col:` lines on
/// stderr, a count, and exit status 2, for one file of the suite.
#[test]
fn the_binary_reports_problems_with_the_file_name_and_status_2() {
    let dir = harness::repo("tests/malformed");
    let output = harness::fleet(&dir, &["--file", "unknown-key.yaml", "validate"]);
    let stderr = harness::stderr(&output);

    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown-key.yaml:2:1: stak: unknown key `stak`; did you mean `stack`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: unknown-key.yaml has 1 problem"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A file with nothing in it cannot carry `# expect:` lines, so it is
/// checked here: one problem, at the top, saying what a fleet file needs.
#[test]
fn an_empty_file_is_one_problem() {
    let problems = fleetfile::from_str("", Path::new("fleet.yaml")).expect_err("empty is invalid");
    let [problem] = problems.list.as_slice() else {
        panic!("one problem expected: {problems}");
    };
    assert_eq!((problem.pos.line, problem.pos.col), (1, 1));
    assert!(
        problem.message.contains("`stack`, `ttn` and `cats`"),
        "{problem:?}"
    );
}

/// What looks wrong but is right: an all-digit DevEUI, which YAML would
/// read as a number, stays the exact string, as does one tagged `!!str`;
/// a lowercase DevEUI is normalised to upper case; quoted and unquoted
/// numbers are attribute values exactly as written; `none` keeps every
/// location; a statement reading FROM `ttn.topic` is taken as written.
const TRICKY_BUT_VALID: &str = r#"stack: backyard-cats
ttn:
  application: backyard-cats
  topic: v3/backyard-cats@ttn/devices/+/up
table:
  retention_days: none
rule:
  sql: >-
    SELECT end_device_ids.device_id AS device_id, received_at
    FROM 'v3/backyard-cats@ttn/devices/+/up'
cats:
  - name: Snowy
    device: snowy-lgt92
    dev_eui: 0000000000000001
    attributes:
      age: "7"
      chip: "0042"
      weight: 4.50
  - name: Tiger
    device: tiger-lgt92
    dev_eui: 70b3d57ed005a1c7
  - name: Misty
    device: misty-lgt92
    dev_eui: !!str 1000000000000000
"#;

#[test]
fn tricky_but_valid_files_load_as_meant() {
    let fleet = fleetfile::from_str(TRICKY_BUT_VALID, Path::new("fleet.yaml"))
        .unwrap_or_else(|problems| panic!("{problems}"));

    let euis: Vec<&str> = fleet.cats.iter().map(|c| c.dev_eui.as_str()).collect();
    assert_eq!(
        euis,
        ["0000000000000001", "70B3D57ED005A1C7", "1000000000000000"]
    );

    let attributes = &fleet.cats[0].attributes;
    assert_eq!(attributes["age"], "7");
    assert_eq!(attributes["chip"], "0042");
    assert_eq!(attributes["weight"], "4.50");

    assert_eq!(fleet.table.retention_days, None);
    assert_eq!(fleet.ttn.topic, "v3/backyard-cats@ttn/devices/+/up");
    assert!(fleet.rule.custom_sql);
    assert_eq!(
        fleet.rule.sql,
        "SELECT end_device_ids.device_id AS device_id, received_at \
         FROM 'v3/backyard-cats@ttn/devices/+/up'"
    );
}
