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


def test_refuses_a_non_loopback_address():
    result = subprocess.run(
        [sys.executable, "-m", "fleet_emulator", "--host", "0.0.0.0", "--port", "0"],
        env={**os.environ, "PYTHONPATH": str(EMULATOR_DIR)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"not a loopback address" in result.stderr


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


def run(repo: Path, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(repo / "emulator" / script)], capture_output=True, text=True, timeout=120
    )


def test_start_reuse_and_stop(repo):
    if not (Path(sys.prefix) / ".fleet-requirements.sha256").exists():
        pytest.skip("needs the venv made by emulator/setup")
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
