"""What bench/locations.py and bench/places.py share: an emulator with a
deployed fleet of generated cats, a location table filled with their fixes
(items shaped exactly as the fleet's topic rule writes them), and running a
command while measuring its wall time and peak RSS.

The fixes: each cat reports every 5 minutes, day and night (288 fixes a
local day), from a house of her own in a neighbourhood of Amsterdam. She
stays at a few spots (two sleeping spots, a handful of favourite ones) and
walks between them; a still collar scatters 6 m, a moving one 4 m (one
standard deviation each way), as src/simulate does. There are no bad fixes,
so fleet's fix cleaning keeps every item and every approach must return the
same fixes. The numbers are seeded: every run fills the same table.

Items are built here, in the rule's shape (device_id, time, received_at,
dev_eui, latitude, longitude, battery, rssi, snr, f_cnt, expires_at), and
`check_item_shape` runs `fleet rule test` on the TTN v3 uplinks they stand
for and compares, so a change to the rule shows up as a failed check rather
than a quietly different benchmark.
"""

import copy
import datetime
import importlib.util
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".emulator/venv/bin/python"
REGION = "eu-west-1"
TABLE = "backyard-cats-locations"  # the sample fleet.yaml's table, kept
APPLICATION = "backyard-cats"
TZ = "Europe/Amsterdam"
RETENTION_DAYS = 365  # the sample's
STEP_S = 300  # a fix every 5 minutes
HOME = (52.370216, 4.895168)  # fleet simulate's default home
EARTH_RADIUS_M = 6_371_008.8
BATCH = 25
RESULTS = ROOT / "bench/results"


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def aws_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "FLEET_FILE", "FLEET_OUTPUT", "FLEET_ENDPOINT_URL",
                        "FLEET_TZ")}
    env.update({"AWS_ENDPOINT_URL": url, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    return env


# --- processes -------------------------------------------------------------

class Emulator:
    """`python -m fleet_emulator --port 0`, stopped on exit."""

    def __enter__(self):
        self.process = subprocess.Popen(
            [str(PYTHON), "-m", "fleet_emulator", "--port", "0"],
            env={**os.environ, "PYTHONPATH": str(ROOT / "emulator")},
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.process.stdout.readline().decode().strip()
        prefix = "fleet-emulator listening on "
        if not line.startswith(prefix):
            self.__exit__()
            raise SystemExit(f"the emulator did not start: its first line was {line!r}")
        self.url = line[len(prefix):]
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Run:
    wall_s: float
    peak_rss_mb: float | None
    status: int
    stdout: bytes
    stderr: str


GNU_TIME = Path("/usr/bin/time")


def measured(cmd: list[str], env: dict | None = None, cwd: str | None = None,
             stdin: bytes | None = None) -> Run:
    """Runs `cmd` to the end: its wall time, and its peak RSS. Output goes to
    temporary files, so a large stdout cannot block it.

    The peak RSS is GNU time's `%M` (the command's ru_maxrss), not this
    process's own wait4: Python starts children with vfork, and Linux keeps
    the high-water mark of the memory a process had before exec, so wait4
    here reports at least this script's own peak (hundreds of MB once a
    table's fixes have been generated), whatever the command used. GNU time
    forks the command from a process of about 1 MB, and adds about a
    millisecond to the wall time. Without /usr/bin/time (Debian's `time`
    package) the peak RSS is None."""
    with (tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err,
          tempfile.NamedTemporaryFile("r") as rss):
        if GNU_TIME.exists():
            cmd = [str(GNU_TIME), "--quiet", "--format", "%M", "--output", rss.name, *cmd]
        start = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        status = process.wait()
        wall = time.perf_counter() - start
        report = Path(rss.name).read_text().split()
        peak = int(report[-1]) / 1024 if report and report[-1].isdigit() else None
        out.seek(0)
        err.seek(0)
        return Run(wall, peak, status, out.read(), err.read().decode(errors="replace"))


def must(run: Run, what: str) -> Run:
    if run.status != 0:
        raise SystemExit(f"{what} failed ({run.status}):\n{run.stdout.decode()[-2000:]}"
                         f"\n{run.stderr[-2000:]}")
    return run


# --- the fleet ---------------------------------------------------------------

@dataclass
class Cat:
    name: str
    device: str
    dev_eui: str
    index: int


def make_cats(count: int) -> list[Cat]:
    return [Cat(f"Cat{i:02d}", f"cat{i:02d}-lgt92", f"70B3D57ED0{0x05A000 + i:06X}", i)
            for i in range(1, count + 1)]


def fleet_file(directory: Path, cats: list[Cat]) -> Path:
    """The sample fleet.yaml with its cats replaced by `cats`."""
    sample = (ROOT / "fleet.yaml").read_text()
    head = sample[:sample.index("\ncats:\n")]
    lines = [head, "", "cats:"]
    for cat in cats:
        lines += [f"  - name: {cat.name}", f"    device: {cat.device}",
                  f"    dev_eui: {cat.dev_eui}"]
    path = directory / "fleet.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def apply(fleet: str, file: Path, env: dict, cwd: str) -> float:
    run = must(measured([fleet, "apply", "--yes", "--file", str(file)], env=env, cwd=cwd),
               "fleet apply")
    return run.wall_s


# --- the fixes -------------------------------------------------------------

def offset(lat: float, lon: float, north: float, east: float) -> tuple[float, float]:
    lat2 = lat + math.degrees(north / EARTH_RADIUS_M)
    lon2 = lon + math.degrees(east / (EARTH_RADIUS_M * math.cos(math.radians(lat2))))
    return lat2, lon2


@dataclass
class Fix:
    t_s: int  # whole seconds of received_at
    nanos: int  # its fraction
    lat: float
    lon: float
    battery: float
    rssi: int
    snr: float
    f_cnt: int


def cat_fixes(cat: Cat, start_s: int, count: int, seed: int = 1, spots: int = 0) -> list[Fix]:
    """`count` fixes of `cat`, every 5 minutes from `start_s` (plus a
    per-cat phase under 5 minutes, so each local day holds 288 of them).
    `spots` > 0 gives the cat that many favourite spots over a wider area
    (the large synthetic set of bench/places.py) instead of a handful."""
    rng = random.Random(f"{seed}/{cat.device}")
    home = offset(*HOME, rng.uniform(-1500, 1500), rng.uniform(-1500, 1500))
    # Metres north and east of home: two sleeping spots (indoors and a
    # neighbour's shed), then favourite spots.
    places = [(0.0, 0.0), (rng.uniform(40, 90), rng.uniform(-90, 90))]
    favourites = spots or rng.randint(3, 6)
    reach = 900.0 if spots else 400.0
    for _ in range(favourites):
        angle, distance = rng.uniform(0, math.tau), rng.uniform(50, reach)
        places.append((distance * math.cos(angle), distance * math.sin(angle)))
    weights = [1.0 / (k + 1) for k in range(len(places) - 2)]

    phase = rng.randrange(STEP_S)
    battery = rng.uniform(3.75, 4.0)
    f_cnt = rng.randrange(1000)
    here = places[0]
    stay = rng.randint(1, 24)  # steps left where she is
    path: list[tuple[float, float]] = []  # positions still to walk through
    fixes = []
    for k in range(count):
        t = start_s + phase + k * STEP_S
        hour = ((t + 3600) // 3600) % 24  # Amsterdam in winter, near enough
        night = hour >= 22 or hour < 6
        if path:
            north, east = path.pop(0)
            sigma = 4.0
        else:
            if stay <= 0:
                if night or rng.random() < 0.15:
                    target = places[0] if rng.random() < 0.8 else places[1]
                else:
                    target = rng.choices(places[2:], weights)[0]
                distance = math.dist(here, target)
                speed = rng.uniform(0.2, 0.8)  # m/s, a cat on her way
                steps = max(1, round(distance / speed / STEP_S))
                path = [(here[0] + (target[0] - here[0]) * j / steps,
                         here[1] + (target[1] - here[1]) * j / steps)
                        for j in range(1, steps)]
                here = target
                stay = rng.randint(36, 96) if night else rng.randint(3, 30)
            north, east = here
            stay -= 1
            sigma = 6.0
        lat, lon = offset(*home, north + rng.gauss(0, sigma), east + rng.gauss(0, sigma))
        battery -= 0.011 * STEP_S / 86400 + 0.00004
        if battery < 3.6:
            battery = 4.0
        f_cnt += 1
        fixes.append(Fix(t, rng.randrange(10**9), round(lat, 6), round(lon, 6),
                         round(battery + rng.gauss(0, 0.002), 3), rng.randint(-118, -70),
                         rng.randint(-40, 40) / 4, f_cnt))
    return fixes


def stamp(fix: Fix) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(fix.t_s)) + f".{fix.nanos:09d}Z"


def number(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def item(cat: Cat, fix: Fix) -> dict:
    """The item the default rule writes for the uplink `uplink()` builds."""
    return {
        "device_id": {"S": cat.device},
        "time": {"N": str(fix.t_s * 1000)},
        "received_at": {"S": stamp(fix)},
        "dev_eui": {"S": cat.dev_eui},
        "latitude": {"N": number(fix.lat)},
        "longitude": {"N": number(fix.lon)},
        "battery": {"N": number(fix.battery)},
        "rssi": {"N": number(fix.rssi)},
        "snr": {"N": number(fix.snr)},
        "f_cnt": {"N": str(fix.f_cnt)},
        "expires_at": {"N": str(fix.t_s + RETENTION_DAYS * 86400)},
    }


def uplink(template: dict, cat: Cat, fix: Fix) -> dict:
    """The TTN v3 uplink (examples/uplink-lgt92.json's shape) of `fix`."""
    up = copy.deepcopy(template)
    up["end_device_ids"]["device_id"] = cat.device
    up["end_device_ids"]["dev_eui"] = cat.dev_eui
    up["received_at"] = stamp(fix)
    message = up["uplink_message"]
    message["f_cnt"] = str(fix.f_cnt)
    message["decoded_payload"].update(Latitude=fix.lat, Longitude=fix.lon, BatV=fix.battery)
    message["rx_metadata"][0].update(rssi=fix.rssi, channel_rssi=fix.rssi, snr=fix.snr)
    return up


def check_item_shape(fleet: str, file: Path, cats: list[Cat], cwd: str) -> int:
    """Runs `fleet rule test` on the uplinks of a few generated fixes and
    checks the rule's items equal the ones built here (strings exactly,
    numbers as numbers); returns how many were checked."""
    template = json.loads((ROOT / "examples/uplink-lgt92.json").read_text())
    checked = 0
    for cat in (cats[0], cats[-1]):
        for fix in cat_fixes(cat, 1_793_487_600, 3):
            payload = Path(cwd) / "uplink.json"
            payload.write_text(json.dumps(uplink(template, cat, fix)))
            run = measured([fleet, "rule", "test", "--file", str(file), "--payload", str(payload),
                            "--output", "json"], cwd=cwd)
            got = json.loads(run.stdout)["item"]
            want = item(cat, fix)

            def plain(i):
                return {k: (Decimal(v["N"]) if "N" in v else v) for k, v in i.items()}

            if plain(got) != plain(want):
                raise SystemExit(f"the rule's item differs from the benchmark's:\n"
                                 f"rule:  {got}\nbench: {want}")
            checked += 1
    return checked


def fill(ddb, cats_fixes: list[tuple[Cat, list[Fix]]]) -> tuple[int, float]:
    """BatchWriteItem of every fix's item, 25 to a call, retrying unprocessed
    items; returns the count and the seconds it took."""
    start = time.perf_counter()
    count = 0
    batch: list[dict] = []

    def flush():
        requests = {TABLE: batch}
        while requests:
            out = ddb.batch_write_item(RequestItems=requests)
            requests = {k: v for k, v in out.get("UnprocessedItems", {}).items() if v}

    for cat, fixes in cats_fixes:
        for fix in fixes:
            batch.append({"PutRequest": {"Item": item(cat, fix)}})
            if len(batch) == BATCH:
                flush()
                count += len(batch)
                batch = []
    if batch:
        flush()
        count += len(batch)
    return count, time.perf_counter() - start


def item_size(item_: dict) -> int:
    """DynamoDB's size of an item in bytes: each attribute name's UTF-8
    length plus its value's (a string's UTF-8 length; a number's about one
    byte per two significant digits, plus one)."""
    size = 0
    for name, value in item_.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        else:
            digits = value["N"].lstrip("-").replace(".", "").strip("0") or "0"
            size += math.ceil(len(digits) / 2) + 1
    return size


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


# --- running a benchmark -----------------------------------------------------

def check_setup(fleet: str) -> str:
    """The fleet binary's absolute path, once it and the emulator's venv are
    known to be there: a missing build or venv should cost one sentence at
    the start, not a traceback after minutes of filling a table."""
    if not PYTHON.exists():
        raise SystemExit(f"no emulator environment at {PYTHON.parent.parent}: "
                         f"run emulator/setup (or scripts/test) first")
    path = Path(fleet).resolve()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise SystemExit(f"no fleet binary at {path}: build it with "
                         f"`cargo build --release --locked` and pass target/release/fleet")
    if importlib.util.find_spec("boto3") is None:  # the scripts fill the table with it
        raise SystemExit(f"boto3 is not importable here: run this script with "
                         f"{PYTHON.relative_to(ROOT)}")
    return str(path)


def version(fleet: str) -> str:
    return subprocess.run([fleet, "--version"], capture_output=True, text=True).stdout.strip()


def dynamodb(url: str):
    """A DynamoDB client on the emulator, for filling the table."""
    import boto3

    return boto3.client("dynamodb", endpoint_url=url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def seconds(s: float | None) -> str:
    """A duration for the report tables: milliseconds under a second."""
    if s is None:
        return "-"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def note(message: str) -> None:
    """Progress, on stderr, so stdout holds only the JSON lines and the table."""
    print(message, file=sys.stderr, flush=True)


class Results:
    """The run's JSON lines: each printed as soon as it is measured and
    written to bench/results/NAME-DATE.json at once, so a run cut short
    keeps what it measured. A second run on the same day replaces the file."""

    def __init__(self, name: str):
        RESULTS.mkdir(exist_ok=True)
        self.path = RESULTS / f"{name}-{datetime.date.today().isoformat()}.json"

    def __enter__(self):
        self.file = self.path.open("w")
        return self

    def add(self, row: dict) -> None:
        line = json.dumps(row)
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()

    def __exit__(self, *exc):
        self.file.close()
