"""Validate + render time of fleet for 100, 1,000 and 10,000 cats, side by side
with cfn-lint, the validator a user would otherwise run on CloudFormation
templates, over the very templates fleet rendered.

fleet's time covers the whole command: reading fleet.yaml, validating every
cat, rendering the core and shard templates, and checking them against
CloudFormation's limits. cfn-lint's time covers checking those templates only.
Each command runs RUNS times; the median is reported, with the ratio.

Usage: .emulator/venv/bin/python bench/render.py PATH/TO/RELEASE/fleet
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
SIZES = [100, 1000, 10000]
ROOT = Path(__file__).resolve().parent.parent
CFN_LINT = ROOT / ".emulator/venv/bin/cfn-lint"


def fleet_file(cats: int) -> str:
    """A fleet of `cats` cats, a group per hundred, shards to fit."""
    shards = max(16, -(-cats // 120))
    lines = [
        "stack: bench-fleet",
        "region: eu-west-1",
        f"shards: {shards}",
        "ttn:",
        "  application: bench-fleet",
        "table:",
        "  retention_days: 90",
        "groups:",
    ]
    for g in range(-(-cats // 100)):
        lines += [f"  - name: street-{g}", f"    description: Cats of street {g}"]
    lines.append("cats:")
    for i in range(cats):
        lines += [
            f"  - name: cat-{i}",
            f"    device: tracker-{i:05}",
            f"    dev_eui: 70B3D57ED{i:07X}",
            f"    groups: [street-{i // 100}]",
            "    attributes:",
            f"      owner: household-{i % 97}",
        ]
    return "\n".join(lines) + "\n"


def median_seconds(command: list[str], cwd: Path) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    fleet = str(Path(sys.argv[1]).resolve())
    rows = []
    for cats in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "fleet.yaml").write_text(fleet_file(cats))
            subprocess.run([fleet, "template", "--out", "out"], cwd=work, check=True,
                           capture_output=True)
            templates = sorted(str(p) for p in (work / "out").glob("*.json"))

            fleet_s = median_seconds([fleet, "validate"], work)
            lint_s = median_seconds([str(CFN_LINT), "--regions", "eu-west-1", "--", *templates],
                                    work)
            rows.append({"cats": cats, "stacks": len(templates), "fleet_validate_s": fleet_s,
                         "cfn_lint_s": lint_s, "ratio": lint_s / fleet_s})

    print(f"{'cats':>6} {'stacks':>6} {'fleet validate':>15} {'cfn-lint':>10} {'cfn-lint / fleet':>17}")
    for r in rows:
        print(f"{r['cats']:>6} {r['stacks']:>6} {r['fleet_validate_s'] * 1000:>12.1f} ms "
              f"{r['cfn_lint_s']:>8.2f} s {r['ratio']:>16.0f}x")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
