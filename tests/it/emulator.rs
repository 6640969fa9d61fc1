//! The local emulator as the tests use it: one moto server process per
//! test, with the project's extensions, on a free loopback port, stopped
//! when the test ends. Tests talk to it over HTTP through the AWS SDK,
//! exactly as fleet talks to AWS.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use aws_sdk_cloudformation::config::{Credentials, SharedCredentialsProvider};
use fleet::aws::{self, Aws};

use crate::harness;

pub const REGION: &str = "eu-west-1";

pub struct Emulator {
    child: Child,
    pub url: String,
    /// The emulator's stderr: werkzeug's request log, a line per request.
    log: tempfile::NamedTempFile,
}

impl Emulator {
    /// Starts a fresh emulator. It needs the virtual environment that
    /// `emulator/setup` makes (CI runs it first).
    pub fn start() -> Emulator {
        Emulator::start_with(&[])
    }

    /// Starts an emulator with extra options, e.g. `--stack-seconds 3`.
    pub fn start_with(options: &[&str]) -> Emulator {
        let python = harness::repo(".emulator/venv/bin/python");
        assert!(
            python.exists(),
            "no emulator environment: run `emulator/setup` first"
        );

        let log = tempfile::NamedTempFile::new().expect("a temporary file for the request log");
        let mut child = Command::new(python)
            .args(["-m", "fleet_emulator", "--port", "0"])
            .args(options)
            .env("PYTHONPATH", harness::repo("emulator"))
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("the request log opens"))
            .spawn()
            .expect("the emulator starts");

        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the emulator prints its address");
        let url = line
            .trim()
            .strip_prefix("fleet-emulator listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the emulator: {line:?}"))
            .to_string();
        Emulator { child, url, log }
    }

    /// How many requests the emulator has served so far, from its request
    /// log: what a test counts to hold fleet to a number of AWS calls.
    pub fn requests(&self) -> usize {
        std::fs::read_to_string(self.log.path())
            .expect("the request log reads")
            .lines()
            .filter(|line| line.contains(" HTTP/1.1\""))
            .count()
    }

    /// AWS settings pointing at this emulator, as a user would set them
    /// with `--endpoint-url`, and the emulator's dummy credentials.
    pub async fn aws(&self) -> Aws {
        let target = aws::Target {
            region: Some(REGION.into()),
            profile: None,
            endpoint_url: Some(self.url.clone()),
        };
        let mut aws = aws::connect(&target, None)
            .await
            .expect("AWS settings resolve");
        let credentials = Credentials::new("testing", "testing", None, None, "fleet-tests");
        aws.config = aws
            .config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        aws
    }

    /// Environment variables that point a `fleet` process at this emulator.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_REGION", REGION.into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ]
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
