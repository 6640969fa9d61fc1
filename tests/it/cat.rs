//! `fleet cat add | remove | list` as a user runs them: the fleet file is
//! edited in place (everything else kept byte for byte), validated, and
//! the change deployed to the emulator.

use std::path::Path;
use std::process::{Command, Output};

use crate::emulator::Emulator;
use crate::harness::{self, stderr, stdout};

fn fleet(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(args)
        .current_dir(dir)
        .envs(emulator.env())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cat_add_edits_the_file_and_deploys_and_cat_remove_restores_it() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(harness::repo("fleet.yaml")).unwrap();
    let file = dir.path().join("fleet.yaml");
    std::fs::write(&file, &original).unwrap();
    let applied = fleet(dir.path(), &emulator, &["apply"]);
    assert!(applied.status.success(), "{}", stderr(&applied));

    let add = [
        "cat",
        "add",
        "Pebble",
        "--device",
        "pebble-lgt92",
        "--dev-eui",
        "70b3d57ed005b001",
        "--group",
        "indoor",
        "--attr",
        "owner=cleo",
        "--output",
        "json",
    ];
    let added = fleet(dir.path(), &emulator, &add);
    assert!(added.status.success(), "{}", stderr(&added));

    let edited = std::fs::read_to_string(&file).unwrap();
    assert!(
        edited.starts_with(original.trim_end()),
        "everything before the new cat is kept:\n{edited}"
    );
    assert!(
        edited.contains("  - name: Pebble\n    device: pebble-lgt92\n"),
        "{edited}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout(&added).lines().last().unwrap()).unwrap();
    let changed =
        summary["created"].as_array().unwrap().len() + summary["updated"].as_array().unwrap().len();
    assert_eq!(changed, 1, "only the new cat's shard: {summary}");

    let aws = emulator.aws().await;
    let thing = aws
        .iot()
        .describe_thing()
        .thing_name("pebble-lgt92")
        .send()
        .await
        .unwrap();
    assert_eq!(
        thing.attributes().unwrap().get("owner").map(String::as_str),
        Some("cleo")
    );
    assert_eq!(
        thing
            .attributes()
            .unwrap()
            .get("dev_eui")
            .map(String::as_str),
        Some("70B3D57ED005B001")
    );

    let listed = fleet(dir.path(), &emulator, &["cat", "list", "--output", "json"]);
    let pebble = stdout(&listed)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|row| row["name"] == "Pebble")
        .expect("Pebble is listed");
    assert_eq!(pebble["in_registry"], true);
    assert!(
        pebble["shard"]
            .as_str()
            .unwrap()
            .starts_with("backyard-cats-things-")
    );

    let removed = fleet(dir.path(), &emulator, &["cat", "remove", "pebble"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    assert!(
        aws.iot()
            .describe_thing()
            .thing_name("pebble-lgt92")
            .send()
            .await
            .is_err()
    );
}

#[test]
fn cat_add_refuses_an_invalid_cat_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(harness::repo("fleet.yaml")).unwrap();
    let file = dir.path().join("fleet.yaml");
    std::fs::write(&file, &original).unwrap();

    let cases: [&[&str]; 3] = [
        &[
            "cat",
            "add",
            "Pebble",
            "--device",
            "snowy-lgt92",
            "--dev-eui",
            "70B3D57ED005B001",
            "--no-apply",
        ],
        &[
            "cat",
            "add",
            "Pebble",
            "--device",
            "pebble",
            "--dev-eui",
            "70B3",
            "--no-apply",
        ],
        &[
            "cat",
            "add",
            "Pebble",
            "--device",
            "pebble",
            "--dev-eui",
            "70B3D57ED005B001",
            "--group",
            "garden",
            "--no-apply",
        ],
    ];
    for args in cases {
        let output = harness::fleet(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("not written"),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            original,
            "{args:?}"
        );
    }

    let missing = harness::fleet(dir.path(), &["cat", "remove", "Snowie", "--no-apply"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("Snowy"), "{}", stderr(&missing));
}
