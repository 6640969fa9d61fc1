//! The rendered templates: snapshots of the sample, cfn-lint on the sample
//! and on a generated fleet of 2,000 cats, and the limits on shard size.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::harness::{self, fleet, stderr, stdout};

/// Runs cfn-lint (from the emulator's environment) on every template in
/// `dir` and asserts it reports nothing: no errors, no warnings.
fn assert_cfn_lint_clean(dir: &Path) {
    let cfn_lint = harness::repo(".emulator/venv/bin/cfn-lint");
    assert!(cfn_lint.exists(), "no cfn-lint: run `emulator/setup` first");
    let mut templates: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    templates.sort();
    assert!(!templates.is_empty(), "no templates in {}", dir.display());

    let output = Command::new(cfn_lint)
        .args(["--regions", "eu-west-1", "--format", "parseable", "--"])
        .args(&templates)
        .output()
        .expect("cfn-lint runs");
    let report = stdout(&output) + &stderr(&output);
    assert!(
        output.status.success() && report.trim().is_empty(),
        "cfn-lint:\n{report}"
    );
}

#[test]
fn the_sample_renders_the_snapshotted_templates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = fleet(
        harness::root(),
        &["template", "--out", out.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        let body = std::fs::read_to_string(out.join(&name)).unwrap();
        insta::assert_snapshot!(name, body);
    }
}

#[test]
fn the_sample_templates_pass_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let output = fleet(
        harness::root(),
        &["template", "--out", dir.path().to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_cfn_lint_clean(dir.path());
}

/// A fleet file with `cats` generated cats, `shards` shards, and a group
/// per hundred cats.
pub fn generated_fleet(cats: usize, shards: u32) -> String {
    let mut text = format!(
        "stack: big-fleet\nregion: eu-west-1\nshards: {shards}\nttn:\n  application: big-fleet\n\
         table:\n  retention_days: 90\ngroups:\n"
    );
    for g in 0..cats.div_ceil(100) {
        writeln!(
            text,
            "  - name: street-{g}\n    description: Cats of street {g}"
        )
        .unwrap();
    }
    text.push_str("cats:\n");
    for i in 0..cats {
        writeln!(
            text,
            "  - name: cat-{i}\n    device: tracker-{i:05}\n    dev_eui: 70B3D57ED{i:07X}\n    \
             groups: [street-{}]\n    attributes:\n      owner: household-{}",
            i / 100,
            i % 97
        )
        .unwrap();
    }
    text
}

#[test]
fn a_fleet_of_2000_cats_validates_and_every_template_passes_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fleet.yaml"), generated_fleet(2000, 16)).unwrap();

    let output = fleet(dir.path(), &["validate", "--output", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["cats"], 2000);
    let stacks = summary["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 17, "core and 16 shards");
    let things: u64 = stacks[1..]
        .iter()
        .map(|s| s["resources"].as_u64().unwrap())
        .sum();
    assert_eq!(things, 2000);
    assert!(
        stacks
            .iter()
            .all(|s| s["bytes"].as_u64().unwrap() <= 51_200),
        "{summary}"
    );

    let out = dir.path().join("templates");
    let output = fleet(dir.path(), &["template", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_cfn_lint_clean(&out);
}

#[test]
fn too_few_shards_for_the_fleet_is_refused_with_the_count_to_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fleet.yaml"), generated_fleet(2000, 4)).unwrap();

    let output = fleet(dir.path(), &["validate"]);
    let message = stderr(&output);

    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("over CloudFormation's limits"),
        "{message}"
    );
    assert!(
        message.contains("set `shards: 16`") || message.contains("set `shards: 8`"),
        "{message}"
    );
}
