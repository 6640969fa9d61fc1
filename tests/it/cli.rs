//! The command line as a user meets it: `init`, `schema`, and help.

use std::process::Command;

use crate::harness::{self, fleet, stderr, stdout};

#[test]
fn init_writes_a_valid_commented_fleet_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--stack",
        "garden-cats",
        "--region",
        "eu-central-1",
        "--application",
        "garden",
        "--cat",
        "Pixel",
        "--device",
        "pixel-tracker",
        "--dev-eui",
        "A84041000181C2D3",
    ];

    let output = fleet(dir.path(), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(dir.path().join("fleet.yaml")).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=fleet.schema.json"));
    assert!(dir.path().join("fleet.schema.json").exists());
    let loaded = fleet::fleetfile::from_str(&text, "fleet.yaml".as_ref()).unwrap();
    assert_eq!(loaded.stack, "garden-cats");
    assert_eq!(loaded.region.as_deref(), Some("eu-central-1"));
    assert_eq!(loaded.cats[0].name, "Pixel");
    assert_eq!(loaded.cats[0].dev_eui, "A84041000181C2D3");

    std::fs::write(dir.path().join("fleet.yaml"), "# mine\n").unwrap();
    let again = fleet(dir.path(), &args);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("fleet.yaml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn init_rejects_an_invalid_flag_value_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = fleet(dir.path(), &["init", "--dev-eui", "XYZ"]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--dev-eui `XYZ`"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("fleet.yaml").exists());
}

/// The schema accepts the sample fleet and rejects an unknown key, checked
/// by an independent JSON Schema validator (Python's jsonschema).
#[test]
fn the_schema_accepts_the_sample_and_rejects_unknown_keys() {
    let output = fleet(harness::root(), &["schema"]);
    assert!(output.status.success());
    let schema = stdout(&output);
    let committed = std::fs::read_to_string(harness::repo("fleet.schema.json")).unwrap();
    assert_eq!(
        schema, committed,
        "fleet.schema.json is stale: run `fleet schema > fleet.schema.json`"
    );

    let check = r#"
import json, sys, jsonschema, yaml
schema = json.load(open(sys.argv[1]))
sample = yaml.safe_load(open(sys.argv[2]))
jsonschema.validate(sample, schema)
sample["colour"] = "white"
try:
    jsonschema.validate(sample, schema)
except jsonschema.ValidationError as e:
    print("rejected:", e.message)
"#;
    let python = harness::repo(".emulator/venv/bin/python");
    let output = Command::new(python)
        .args(["-c", check])
        .arg(harness::repo("fleet.schema.json"))
        .arg(harness::repo("fleet.yaml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("rejected: Additional properties are not allowed ('colour'"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn help_teaches_each_command() {
    let output = fleet(harness::root(), &["--help"]);
    let help = stdout(&output);
    for command in ["init", "validate", "template", "schema"] {
        assert!(help.contains(command), "{help}");
    }
    let output = fleet(harness::root(), &["validate", "--help"]);
    assert!(
        stdout(&output).contains("FILE:LINE:COL"),
        "{}",
        stdout(&output)
    );
}
