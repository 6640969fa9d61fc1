"""The emulator process: its one stdout line, its answers, its shutdown; and
the start/stop scripts around it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from conftest import EMULATOR_DIR, Emulator


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=5).read()
    except urllib.error.HTTPError:
        return True  # an HTTP error is still an HTTP answer
    except OSError:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_one_line_serves_and_stops_cleanly(tmp_path, sig):
    server = Emulator(tmp_path / "server.log")
    assert re.fullmatch(r"fleet-emulator listening on http://127\.0\.0\.1:\d+\n", server.first_line)
    assert answers(server.url)
    server.client("iot").list_things()  # a real AWS call works at once
    assert server.stop(sig) == 0
    assert server.process.stdout.read() == b""  # nothing after the one line
    assert not answers(server.url)


@pytest.mark.parametrize(
    "arguments, problem",
    [
        (["--host", "0.0.0.0"], b"not a loopback address"),
        (["--stack-seconds", "-1"], b"must be from 0 to 86400"),
        (["--stack-seconds", "nan"], b"must be from 0 to 86400"),
        (["--stack-seconds", "soon"], b"not a number of seconds"),
    ],
)
def test_refuses_bad_options(arguments, problem):
    result = subprocess.run(
        [sys.executable, "-m", "fleet_emulator", "--port", "0", *arguments],
        env={**os.environ, "PYTHONPATH": str(EMULATOR_DIR)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert problem in result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A scratch checkout: emulator/ copied, .emulator/venv pointing at the real venv
    (its stamp matches, so setup has nothing to do), state files kept apart."""
    shutil.copytree(
        EMULATOR_DIR, tmp_path / "emulator", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / ".emulator").mkdir()
    (tmp_path / ".emulator" / "venv").symlink_to(Path(sys.prefix))
    return tmp_path


def run(repo: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(repo / "emulator" / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def needs_setup_venv() -> None:
    if not (Path(sys.prefix) / ".fleet-requirements.sha256").exists():
        pytest.skip("needs the venv made by emulator/setup")


def test_start_reuse_and_stop(repo):
    needs_setup_venv()
    state = repo / ".emulator"
    started = run(repo, "start")
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert (state / "endpoint").read_text().strip() == url
        pid = int((state / "pid").read_text())
        assert answers(url)

        again = run(repo, "start")
        assert again.returncode == 0
        assert again.stdout.strip() == url
        assert int((state / "pid").read_text()) == pid
    finally:
        stopped = run(repo, "stop")
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    assert not answers(url)
    assert not (state / "pid").exists() and not (state / "endpoint").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    idle = run(repo, "stop")
    assert (idle.returncode, idle.stdout.strip()) == (0, "fleet-emulator not running")


def test_stop_ignores_a_stale_pid_of_another_process(repo):
    # Our own pid: alive, but not an emulator. stop must leave it alone.
    (repo / ".emulator" / "pid").write_text(f"{os.getpid()}\n")
    result = run(repo, "stop")
    assert (result.returncode, result.stdout.strip()) == (0, "fleet-emulator not running")
    assert not (repo / ".emulator" / "pid").exists()


def test_start_passes_stack_seconds_on(repo):
    needs_setup_venv()
    started = run(repo, "start", FLEET_EMULATOR_STACK_SECONDS="60")
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip()
        cfn = boto3.client(
            "cloudformation",
            endpoint_url=url,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        cfn.create_stack(StackName="slow", TemplateBody='{"Resources": {}}')
        assert cfn.describe_stacks(StackName="slow")["Stacks"][0]["StackStatus"] == (
            "CREATE_IN_PROGRESS"
        )
        # Reusing it with other options would not give what was asked for.
        other = run(repo, "start", FLEET_EMULATOR_STACK_SECONDS="0")
        assert other.returncode == 1
        assert other.stdout == ""
        assert "running with stack-seconds=60, not stack-seconds=0" in other.stderr
        same = run(repo, "start", FLEET_EMULATOR_STACK_SECONDS="60")
        assert (same.returncode, same.stdout.strip()) == (0, url)
    finally:
        stopped = run(repo, "stop")
    assert stopped.returncode == 0
    assert not (repo / ".emulator" / "options").exists()
