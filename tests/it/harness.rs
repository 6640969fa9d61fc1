//! What the integration tests share: paths into the repository, running
//! the `fleet` binary, and the project's Python tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the repository root.
pub fn repo(path: &str) -> PathBuf {
    root().join(path)
}

/// Runs the built `fleet` binary with `args` in `dir`.
pub fn fleet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(args)
        .current_dir(dir)
        .env_remove("FLEET_FILE")
        .env_remove("FLEET_OUTPUT")
        .output()
        .expect("the fleet binary runs")
}

/// Runs `fleet ARGS` on the sample fleet against an endpoint where nothing
/// listens: for input errors that must be caught before any AWS call.
pub fn unreachable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(args)
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .current_dir(root())
        .env_remove("FLEET_FILE")
        .env_remove("FLEET_OUTPUT")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .expect("the fleet binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
