"""Deploy time of `fleet apply` for 100, 1,000 and 5,000 cats against the local
emulator, side by side with what a user would run instead of fleet, in one run:
`aws cloudformation deploy` of one monolithic template, and a boto3 loop
written by hand.

Three scenarios per fleet size, each a whole deployment command timed on the
wall clock:

- fresh: deploy N cats into an empty emulator;
- no-op: the same deployment again, nothing to change;
- add one: one cat appended to the fleet file, deployed.

The approaches, over the same resources:

- fleet: `fleet apply` of a fleet file generated like the integration tests'
  `generated_fleet` (a group per hundred cats, one extra attribute each,
  `shards` = max(16, ceil(cats / 120)) so every shard fits). Its time covers
  the whole command: reading and rendering the file, the core stack, the
  thing shard stacks, and the registry step that sets each thing's type,
  attributes and groups.
- monolith: `aws cloudformation deploy` (AWS CLI v1, bench/requirements.txt)
  of one template holding the core stack's resources and every thing, merged
  from what `fleet template` renders, so the resources are identical. Bodies
  over 51,200 bytes go through S3 (`--s3-bucket`, as the CLI requires). It
  does NOT set thing types or group memberships: CloudFormation cannot, which
  is why fleet has a registry step. Whether the template would even be
  accepted by AWS (500 resources, 51,200 bytes inline, 1 MB from S3) is
  reported beside the times; the emulator enforces none of those limits.
- boto3 loop: what someone scripting it by hand writes, run in this process
  (so its time leaves out starting Python and importing boto3): create the
  thing type and groups, then per cat `create_thing` (type and all
  attributes) and `add_thing_to_thing_group`. "naive" re-runs that same loop
  for the no-op and add-one scenarios; "smart" lists what exists first
  (`list_things`, `list_things_in_thing_group`) and only writes what is
  missing or different. It makes no table, rule, roles or log group.

Every approach gets its own emulator process, all started together, and the
approaches take turns within each scenario (the one that goes first rotates
from scenario to scenario), so a busy machine slows them alike. The 1-minute
load average is recorded before and after every timed command.

For the add-one scenario the report also counts what each approach
re-deploys: fleet, the resources of the shard stacks it updated and its
registry writes; the monolith, every resource of the template (CloudFormation
re-reads and diffs it all) and the changes in the change set it executed; the
boto3 loop, the write calls of the naive and the smart re-run. Every row also
counts the HTTP requests the approach sent, from the emulator's request log.

The emulator (moto) handles one request at a time, so fleet's parallel stack
and registry calls, and CloudFormation's own parallelism on AWS, gain nothing
here; it also creates resources instantly, which AWS does not. These numbers
compare the work each approach asks for and its client-side overhead, not
times on AWS. One run per cell (a 5,000-cat round takes minutes): expect
noise of some percent, more on a busy machine.

Prints one JSON line per size and scenario as soon as it is measured, then
the tables.

Usage: .emulator/venv/bin/python bench/deploy.py PATH/TO/RELEASE/fleet
           [--sizes 100,1000,5000] [--approaches fleet,monolith,boto3 naive,boto3 smart]
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = [100, 1000, 5000]
ROOT = Path(__file__).resolve().parent.parent
EMULATOR_PYTHON = ROOT / ".emulator/venv/bin/python"
REGION = "eu-west-1"
STACK = "bench-fleet"
BUCKET = "bench-fleet-templates"
STEP_TIMEOUT_S = 1800  # one deployment command; a stuck one fails the run
# One werkzeug request log line (an error status is wrapped in colour codes).
REQUEST = re.compile(rb'"(?:\x1b\[[0-9;]*m)*[A-Z]+ /\S* HTTP/')

# CloudFormation's quotas for one stack (README "Stacks"; cfn-lint's LIMITS
# says the same: 500 resources, 1,000,000 bytes from S3).
MAX_RESOURCES = 500
MAX_INLINE_BYTES = 51_200
MAX_S3_BYTES = 1_000_000

SCENARIOS = ["fresh", "no-op", "add one"]
APPROACHES = ["fleet", "monolith", "boto3 naive", "boto3 smart"]


def load() -> float:
    """The 1-minute load average."""
    return round(os.getloadavg()[0], 2)


# --- the fleet --------------------------------------------------------------------------


def shards_for(cats: int) -> int:
    return max(16, -(-cats // 120))


def cat(i: int, groups: int) -> dict:
    """Cat i, as tests/it/render.rs `generated_fleet` writes it. A cat past the
    generated ones joins the last group (one per hundred cats exists)."""
    return {
        "name": f"cat-{i}",
        "device": f"tracker-{i:05}",
        "dev_eui": f"70B3D57ED{i:07X}",
        "group": f"street-{min(i // 100, groups - 1)}",
        "owner": f"household-{i % 97}",
    }


def fleet_file(cats: list[dict], groups: int, shards: int) -> str:
    lines = [
        f"stack: {STACK}",
        f"region: {REGION}",
        f"shards: {shards}",
        "ttn:",
        f"  application: {STACK}",
        "table:",
        "  retention_days: 90",
        "groups:",
    ]
    for g in range(groups):
        lines += [f"  - name: street-{g}", f"    description: Cats of street {g}"]
    lines.append("cats:")
    for c in cats:
        lines += [
            f"  - name: {c['name']}",
            f"    device: {c['device']}",
            f"    dev_eui: {c['dev_eui']}",
            f"    groups: [{c['group']}]",
            "    attributes:",
            f"      owner: {c['owner']}",
        ]
    return "\n".join(lines) + "\n"


def render(fleet: str, file: Path, out: Path) -> dict[str, dict]:
    """`fleet template`: stack name -> template."""
    subprocess.run([fleet, "--file", str(file), "template", "--out", str(out)], check=True,
                   capture_output=True, timeout=STEP_TIMEOUT_S)
    stacks = {}
    for path in sorted(out.glob("*.json")):
        name = STACK if path.stem == "core" else f"{STACK}-{path.stem}"
        stacks[name] = json.loads(path.read_text())
    return stacks


def monolith(stacks: dict[str, dict]) -> dict:
    """The core template with every shard's things added to it."""
    template = json.loads(json.dumps(stacks[STACK]))
    template["Description"] = f"{STACK}: core resources and every thing, in one stack"
    for name, shard in stacks.items():
        if name != STACK:
            template["Resources"].update(shard["Resources"])
    return template


def aws_verdict(resources: int, size: int) -> str:
    """Would CloudFormation on AWS accept this template, and how?"""
    if resources > MAX_RESOURCES:
        return f"no: {resources} resources > {MAX_RESOURCES}"
    if size > MAX_S3_BYTES:
        return f"no: {size:,} bytes > {MAX_S3_BYTES:,} (S3)"
    if size > MAX_INLINE_BYTES:
        return "yes, via S3"
    return "yes, inline"


# --- the emulator -----------------------------------------------------------------------


class Emulator:
    """A fresh emulator process on a free port, its request log in a file."""

    def __init__(self, work: Path, name: str):
        self.log = work / f"emulator-{name}.log"
        self.process = subprocess.Popen(
            [str(EMULATOR_PYTHON), "-m", "fleet_emulator", "--port", "0"],
            env={**os.environ, "PYTHONPATH": str(ROOT / "emulator")},
            stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True)
        line = self.process.stdout.readline().strip()
        prefix = "fleet-emulator listening on "
        if not line.startswith(prefix):
            self.stop()
            sys.exit(f"the emulator did not start ({line!r}); see {self.log}")
        self.url = line[len(prefix):]
        self._read, self._partial, self._requests = 0, b"", 0

    def requests(self) -> int:
        """Requests served so far (werkzeug logs one line per request)."""
        with self.log.open("rb") as log:
            log.seek(self._read)
            chunk = self._partial + log.read()
        self._read += len(chunk) - len(self._partial)
        lines = chunk.split(b"\n")
        self._partial = lines.pop()  # a line still being written
        self._requests += sum(1 for line in lines if REQUEST.search(line))
        return self._requests

    def env(self, host: str = "127.0.0.1") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and not k.startswith("FLEET_")}
        return env | {
            "AWS_ENDPOINT_URL": self.url.replace("127.0.0.1", host),
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=STEP_TIMEOUT_S)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n"
                 f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


# --- the approaches ---------------------------------------------------------------------
#
# Each approach owns one emulator and deploys scenario i when called with i;
# it returns what it measured besides the time.


class Fleet:
    def __init__(self, fleet: str, work: Path, files: list[Path], templates: list[dict]):
        self.emulator = Emulator(work, "fleet")
        self.fleet, self.work, self.files, self.templates = fleet, work, files, templates

    def __call__(self, i: int) -> dict:
        command = [self.fleet, "--file", str(self.files[i]), "--output", "json", "apply", "--yes"]
        out = run(command, self.emulator.env(), self.work)
        summary = next(event for event in map(json.loads, filter(None, out.splitlines()))
                       if event.get("event") == "summary")
        touched = summary["created"] + summary["updated"] + summary["deleted"]
        stacks = self.templates[i]
        return {"stacks_changed": len(touched),
                "resources_redeployed": sum(len(stacks[s]["Resources"]) for s in touched
                                            if s in stacks),
                "writes": summary["registry_changes"]}


class Monolith:
    def __init__(self, work: Path, bodies: list[Path]):
        self.emulator = Emulator(work, "monolith")
        self.work, self.bodies = work, bodies
        self.emulator.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.cfn = self.emulator.client("cloudformation")

    def change_sets(self) -> set[str]:
        try:
            summaries = self.cfn.list_change_sets(StackName=STACK)["Summaries"]
        except self.cfn.exceptions.ClientError:
            return set()  # no stack yet
        return {s["ChangeSetId"] for s in summaries}

    def __call__(self, i: int) -> dict:
        body = self.bodies[i]
        # fleet's templates need CAPABILITY_IAM (unnamed roles), as fleet passes.
        command = [sys.executable, "-m", "awscli", "cloudformation", "deploy",
                   "--template-file", str(body), "--stack-name", STACK,
                   "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset"]
        if body.stat().st_size > MAX_INLINE_BYTES:
            command += ["--s3-bucket", BUCKET]
        # moto finds an S3 template URL on its own endpoint only by "localhost".
        run(command, self.emulator.env(host="localhost"), self.work)
        return {"resources_evaluated": len(json.loads(body.read_text())["Resources"])}

    def changes(self, known: set[str]) -> int:
        """Changes in the change sets made since `known` (not timed)."""
        return sum(len(self.cfn.describe_change_set(ChangeSetName=c, StackName=STACK)["Changes"])
                   for c in self.change_sets() - known)


class Loop:
    """The hand-written registry script, counting its write calls."""

    def __init__(self, iot, core: dict):
        self.iot = iot
        self.writes = 0
        res = core["Resources"].values()
        kind = next(r["Properties"] for r in res if r["Type"] == "AWS::IoT::ThingType")
        self.thing_type = kind["ThingTypeName"]
        props = kind.get("ThingTypeProperties", {})
        self.type_props = {"searchableAttributes": props.get("SearchableAttributes", [])}
        if "ThingTypeDescription" in props:
            self.type_props["thingTypeDescription"] = props["ThingTypeDescription"]
        self.groups = {
            r["Properties"]["ThingGroupName"]:
                r["Properties"].get("ThingGroupProperties", {}).get("ThingGroupDescription", "")
            for r in res if r["Type"] == "AWS::IoT::ThingGroup"}

    def attributes(self, c: dict) -> dict[str, str]:
        return {"cat": c["name"], "dev_eui": c["dev_eui"], "fleet": STACK, "owner": c["owner"]}

    def call(self, name: str, **kwargs):
        self.writes += 1
        try:
            return getattr(self.iot, name)(**kwargs)
        except self.iot.exceptions.ResourceAlreadyExistsException:
            return None  # a re-run: it is there already

    def naive(self, cats: list[dict]) -> None:
        self.call("create_thing_type", thingTypeName=self.thing_type,
                  thingTypeProperties=self.type_props)
        for group, description in self.groups.items():
            self.call("create_thing_group", thingGroupName=group,
                      thingGroupProperties={"thingGroupDescription": description})
        for c in cats:
            self.call("create_thing", thingName=c["device"], thingTypeName=self.thing_type,
                      attributePayload={"attributes": self.attributes(c)})
            self.call("add_thing_to_thing_group", thingName=c["device"],
                      thingGroupName=c["group"])

    def smart(self, cats: list[dict]) -> None:
        iot = self.iot
        types = {t["thingTypeName"] for page in iot.get_paginator("list_thing_types").paginate()
                 for t in page["thingTypes"]}
        if self.thing_type not in types:
            self.call("create_thing_type", thingTypeName=self.thing_type,
                      thingTypeProperties=self.type_props)
        groups = {g["groupName"] for page in iot.get_paginator("list_thing_groups").paginate()
                  for g in page["thingGroups"]}
        members = {}
        for group, description in self.groups.items():
            if group not in groups:
                self.call("create_thing_group", thingGroupName=group,
                          thingGroupProperties={"thingGroupDescription": description})
                members[group] = set()
            else:
                members[group] = {
                    t for page in iot.get_paginator("list_things_in_thing_group").paginate(
                        thingGroupName=group) for t in page["things"]}
        things = {t["thingName"]: t for page in iot.get_paginator("list_things").paginate(
            thingTypeName=self.thing_type, PaginationConfig={"PageSize": 250})
            for t in page["things"]}
        for c in cats:
            wanted = self.attributes(c)
            have = things.get(c["device"])
            if have is None:
                self.call("create_thing", thingName=c["device"], thingTypeName=self.thing_type,
                          attributePayload={"attributes": wanted})
            elif have.get("attributes") != wanted:
                self.call("update_thing", thingName=c["device"], thingTypeName=self.thing_type,
                          attributePayload={"attributes": wanted, "merge": False})
            if c["device"] not in members[c["group"]]:
                self.call("add_thing_to_thing_group", thingName=c["device"],
                          thingGroupName=c["group"])


class Boto3:
    def __init__(self, work: Path, kind: str, core: dict, cat_lists: list[list[dict]]):
        self.emulator = Emulator(work, f"boto3-{kind}")
        self.kind, self.core, self.cat_lists = kind, core, cat_lists

    def __call__(self, i: int) -> dict:
        loop = Loop(self.emulator.client("iot"), self.core)
        getattr(loop, self.kind)(self.cat_lists[i])
        return {"writes": loop.writes}


def measured(approach, i: int) -> dict:
    """Deploys scenario i with one approach: wall time, requests sent, load
    average before and after, and what the approach reports."""
    emulator = approach.emulator
    before, load_before = emulator.requests(), load()
    start = time.perf_counter()
    result = approach(i)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "calls": emulator.requests() - before,
            "load_1m": [load_before, load()], **result}


# --- one size ---------------------------------------------------------------------------


def bench(fleet: str, cats: int, approaches: list[str]) -> list[dict]:
    groups = -(-cats // 100)
    shards = shards_for(cats)
    generated = [cat(i, groups) for i in range(cats)]
    plus_one = generated + [cat(cats, groups)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        work = Path(tmp)
        fleet_yaml = work / "fleet.yaml"
        fleet_yaml.write_text(fleet_file(generated, groups, shards))
        # "edit the generated file to add a cat": the same file, one cat appended
        plus_yaml = work / "fleet-plus-one.yaml"
        plus_yaml.write_text(fleet_file(plus_one, groups, shards))

        before = render(fleet, fleet_yaml, work / "templates")
        after = render(fleet, plus_yaml, work / "templates-plus-one")
        bodies = []
        for name, stacks in (("monolith.json", before), ("monolith-plus-one.json", after)):
            path = work / name
            path.write_text(json.dumps(monolith(stacks), separators=(",", ":")))
            bodies.append(path)
        mono_size = bodies[0].stat().st_size
        mono_resources = len(json.loads(bodies[0].read_text())["Resources"])
        largest_stack = max(len(json.dumps(t, separators=(",", ":"))) for t in before.values())

        makers = {
            "fleet": lambda: Fleet(fleet, work, [fleet_yaml, fleet_yaml, plus_yaml],
                                   [before, before, after]),
            "monolith": lambda: Monolith(work, [bodies[0], bodies[0], bodies[1]]),
            "boto3 naive": lambda: Boto3(work, "naive", before[STACK],
                                         [generated, generated, plus_one]),
            "boto3 smart": lambda: Boto3(work, "smart", before[STACK],
                                         [generated, generated, plus_one]),
        }
        running = {}
        try:
            for name in approaches:
                running[name] = makers[name]()
            for i, scenario in enumerate(SCENARIOS):
                # Take turns, a different approach first in each scenario.
                order = approaches[i % len(approaches):] + approaches[:i % len(approaches)]
                row = {"bench": "deploy", "cats": cats, "scenario": scenario,
                       "shards": shards, "stacks": len(before),
                       "largest_stack_bytes": largest_stack,
                       "monolith_resources": mono_resources, "monolith_bytes": mono_size,
                       "monolith_on_aws": aws_verdict(mono_resources, mono_size),
                       "order": order}
                for name in order:
                    print(f"{cats} cats, {scenario}: {name} ...", file=sys.stderr, flush=True)
                    known = running[name].change_sets() if name == "monolith" else None
                    row[name] = measured(running[name], i)
                    if name == "monolith":
                        row[name]["changes"] = running[name].changes(known)
                if "fleet" in row:
                    row["ratios"] = {a: round(row[a]["seconds"] / row["fleet"]["seconds"], 3)
                                     for a in approaches if a != "fleet"}
                print(json.dumps(row), flush=True)
                rows.append(row)
        finally:
            for approach in running.values():
                approach.emulator.stop()
    return rows


# --- report -----------------------------------------------------------------------------


def cell(row: dict, approach: str, key: str, fmt: str) -> str:
    return format(row[approach][key], fmt) if approach in row else "-"


def report(rows: list[dict], approaches: list[str]) -> None:
    others = [a for a in approaches if a != "fleet"]
    print("\nwall time in seconds (ratio = alternative / fleet); load = 1-min load average "
          "before the first and after the last command of the scenario")
    print(f"{'cats':>6} {'scenario':<9}" + "".join(f"{a:>13}" for a in approaches)
          + "".join(f"{a + '/fleet':>19}" for a in others) + "   load")
    for r in rows:
        loads = [r[a]["load_1m"] for a in r["order"]]
        print(f"{r['cats']:>6} {r['scenario']:<9}"
              + "".join(f"{cell(r, a, 'seconds', '.2f'):>13}" for a in approaches)
              + "".join(f"{r.get('ratios', {}).get(a, float('nan')):>18.2f}x" for a in others)
              + f"   {loads[0][0]:.2f} -> {loads[-1][1]:.2f}")

    print("\nrequests sent to the emulator")
    print(f"{'cats':>6} {'scenario':<9}" + "".join(f"{a:>13}" for a in approaches))
    for r in rows:
        print(f"{r['cats']:>6} {r['scenario']:<9}"
              + "".join(f"{cell(r, a, 'calls', 'd'):>13}" for a in approaches))

    print("\nadding one cat: what each approach re-deploys")
    print(f"{'cats':>6} {'fleet stacks':>13} {'fleet resources':>16} {'fleet registry writes':>22} "
          f"{'monolith resources':>19} {'monolith changes':>17} {'naive writes':>13} "
          f"{'smart writes':>13}")
    for r in rows:
        if r["scenario"] == "add one":
            print(f"{r['cats']:>6} {cell(r, 'fleet', 'stacks_changed', 'd'):>13} "
                  f"{cell(r, 'fleet', 'resources_redeployed', 'd'):>16} "
                  f"{cell(r, 'fleet', 'writes', 'd'):>22} "
                  f"{cell(r, 'monolith', 'resources_evaluated', 'd'):>19} "
                  f"{cell(r, 'monolith', 'changes', 'd'):>17} "
                  f"{cell(r, 'boto3 naive', 'writes', 'd'):>13} "
                  f"{cell(r, 'boto3 smart', 'writes', 'd'):>13}")

    print("\nthe monolith on AWS (500 resources; 51,200 bytes inline, 1 MB from S3)")
    for r in rows:
        if r["scenario"] == "fresh":
            print(f"{r['cats']:>6}  {r['monolith_resources']} resources, "
                  f"{r['monolith_bytes']:,} bytes: {r['monolith_on_aws']}   "
                  f"(fleet: {r['stacks']} stacks, largest {r['largest_stack_bytes']:,} bytes)")


def ensure_awscli() -> None:
    if importlib.util.find_spec("awscli") is None:
        print("installing bench/requirements.txt (the AWS CLI v1) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(ROOT / "bench/requirements.txt")],
                       check=True)
        # It must leave the emulator's pinned moto/boto3/botocore as they are.
        subprocess.run([sys.executable, "-m", "pip", "check"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fleet", help="the fleet binary, e.g. target/release/fleet")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated fleet sizes (default %(default)s)")
    parser.add_argument("--approaches", default=",".join(APPROACHES),
                        help="comma-separated subset of %(default)s")
    args = parser.parse_args()
    fleet = str(Path(args.fleet).resolve())
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    approaches = [a.strip() for a in args.approaches.split(",") if a.strip()]
    unknown = set(approaches) - set(APPROACHES)
    if unknown or not approaches:
        parser.error(f"unknown approaches {sorted(unknown)}; choose from {APPROACHES}")
    approaches = [a for a in APPROACHES if a in approaches]
    if not EMULATOR_PYTHON.exists():
        sys.exit("no emulator environment: run emulator/setup first")
    ensure_awscli()

    rows = []
    for cats in sizes:
        rows += bench(fleet, cats, approaches)
    report(rows, approaches)


if __name__ == "__main__":
    main()
