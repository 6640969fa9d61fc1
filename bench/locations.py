"""One cat's day from a busy location table: `fleet locations` against the
original notebook's approach, a boto3 `scan` with a FilterExpression on the
device and the time, and against a hand-written boto3 `query` on the key,
in wall time, items read and peak RSS.

The table: an emulator, `fleet apply --yes` of a fleet of 50 generated cats
(bench/catdata.py), then 50 cats x 30 days of 5-minute fixes (432,000
items, shaped as fleet's topic rule writes them, checked with `fleet rule
test` first) written with BatchWriteItem. The day asked for is one cat's
(the middle one of the fleet), the local day (Europe/Amsterdam) in the
middle of the 30 (2026-11-16): 288 fixes.

The approaches, each a whole process, so each pays its start-up (fleet's
binary; Python importing boto3):

- fleet: `fleet locations CAT --day D --tz Europe/Amsterdam --format jsonl`.
  It reads with a Query on the key (device, time range), projecting the
  attributes a fix needs, and says on stderr how many items it read in how
  many pages.
- notebook scan: what the notebook did, `Table.scan` (boto3's resource API)
  with `FilterExpression=Attr("device_id").eq(D) & Attr("time").between(..)`,
  following LastEvaluatedKey, then sorting by time. Items read is the sum of
  ScannedCount over its pages.
- boto3 query: the fair hand-written alternative, `Table.query` with
  `KeyConditionExpression` on the same key and range, following
  LastEvaluatedKey. Items read is the sum of ScannedCount.

Every approach must return the day's fixes exactly (times, latitudes,
longitudes, in time order), equal to the ones written; the script stops
before reporting if one does not. The approaches take turns within each
run (the one that goes first rotates), RUNS runs, and the median is
reported with the ratio to fleet. Every run is kept in the JSON lines.

Read units are estimated from the items' sizes (catdata.item_size):
DynamoDB charges a Query or a Scan by the summed size of the items it
reads, before any FilterExpression or projection, half a read unit per
4 KB when eventually consistent, as all three are here. Per-page rounding
is left out (at most half a unit a page).

Caveats that belong beside the numbers:

- The emulator is moto, and moto's Query is not DynamoDB's: to answer any
  request on a table, Query or Scan page, it sorts every item of the table,
  then filters (and it takes about a millisecond to serialise each item it
  returns). So on the emulator one Query costs about as much as one Scan
  page, and the wall time ratio is roughly the Scan's page count (about
  5,000 items a page here); on DynamoDB a Query reads the one partition's
  range and costs the same whatever else the table holds. Items read and
  read units are what carry over to AWS; wall times here describe the local
  tooling.
- The emulator serves one request at a time and runs on this machine, which
  is shared (2 cores): the 1-minute load average is recorded before every
  command and at the start and end.
- Filling the table takes minutes (about 1,900 items a second into moto), and
  the scan reads all of it on every run: a full run is long (see the README).

Usage: .emulator/venv/bin/python bench/locations.py PATH/TO/RELEASE/fleet
           [--cats 50] [--days 30] [--runs 5]
"""

import argparse
import datetime
import json
import math
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import catdata

CATS = 50
DAYS = 30
RUNS = 5
FIRST_DAY = datetime.date(2026, 11, 1)  # 30 days of CET (+01:00), no clock change
START_S = 1_793_487_600  # FIRST_DAY's local midnight, 2026-10-31T23:00:00Z
ZONE = ZoneInfo(catdata.TZ)

# fleet's stderr line, e.g. "Cat25: 288 fixes from ... (288 items read in 1 page; dropped: none)"
FLEET_READ = re.compile(r"\((\d+) items read in (\d+) pages?; dropped: ([^)]*)\)")

# The notebook's cell, as a script of its own. It prints the fixes so they
# can be checked; a notebook would show them.
NOTEBOOK_SCAN = """
import json, sys
import boto3
from boto3.dynamodb.conditions import Attr

table_name, device, start_ms, end_ms, region = sys.argv[1:]
table = boto3.resource("dynamodb", region_name=region).Table(table_name)
wanted = Attr("device_id").eq(device) & Attr("time").between(int(start_ms), int(end_ms))

items, scanned, pages = [], 0, 0
kwargs = {"FilterExpression": wanted}
while True:
    page = table.scan(**kwargs)
    items += page["Items"]
    scanned += page["ScannedCount"]
    pages += 1
    if "LastEvaluatedKey" not in page:
        break
    kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
items.sort(key=lambda item: item["time"])

fixes = [[int(i["time"]), str(i["latitude"]), str(i["longitude"])] for i in items]
print(json.dumps({"read": scanned, "pages": pages, "fixes": fixes}))
"""

# The same cell written with a Query on the table's key.
BOTO3_QUERY = """
import json, sys
import boto3
from boto3.dynamodb.conditions import Key

table_name, device, start_ms, end_ms, region = sys.argv[1:]
table = boto3.resource("dynamodb", region_name=region).Table(table_name)
wanted = Key("device_id").eq(device) & Key("time").between(int(start_ms), int(end_ms))

items, scanned, pages = [], 0, 0
kwargs = {"KeyConditionExpression": wanted}
while True:
    page = table.query(**kwargs)
    items += page["Items"]
    scanned += page["ScannedCount"]
    pages += 1
    if "LastEvaluatedKey" not in page:
        break
    kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

fixes = [[int(i["time"]), str(i["latitude"]), str(i["longitude"])] for i in items]
print(json.dumps({"read": scanned, "pages": pages, "fixes": fixes}))
"""


@dataclass
class Bench:
    """What every approach runs against."""
    fleet: str
    file: Path
    env: dict
    cwd: str
    cat: catdata.Cat
    day: datetime.date
    window_ms: tuple[int, int]  # both ends included, as BETWEEN takes them


@dataclass
class Table:
    """What the table holds, and what the day should give back."""
    items: int
    bytes: int
    fill_s: float
    day_fixes: list[tuple[int, float, float]]  # (time ms, latitude, longitude)
    day_bytes: int


@dataclass
class Approach:
    name: str
    reads: str  # "day": only the day's items (a Query); "table": every item (a Scan)
    run: Callable[[Bench], tuple[catdata.Run, dict, list]]


# --- the day and the table ---------------------------------------------------------------

def day_window(day: datetime.date) -> tuple[int, int]:
    """The local day as epoch milliseconds, both ends included: fleet's
    half-open day, stopped a millisecond short, as its Query does."""
    start = datetime.datetime.combine(day, datetime.time(), ZONE)
    end = start + datetime.timedelta(days=1)  # wall-clock day, DST-safe with zoneinfo
    return int(start.timestamp()) * 1000, int(end.timestamp()) * 1000 - 1


def fill_table(url: str, cats: list[catdata.Cat], days: int, target: catdata.Cat,
               window_ms: tuple[int, int]) -> Table:
    """Writes every cat's fixes, cat by cat (so only one cat's fixes are held
    at a time), and keeps the target cat's day to check the answers against."""
    ddb = catdata.dynamodb(url)
    total = days * 288 * len(cats)
    items = size = day_size = 0
    seconds = 0.0
    day: list[tuple[int, float, float]] = []
    for i, cat in enumerate(cats, 1):
        fixes = catdata.cat_fixes(cat, START_S, days * 288)
        count, took = catdata.fill(ddb, [(cat, fixes)])
        items += count
        seconds += took
        for fix in fixes:
            bytes_ = catdata.item_size(catdata.item(cat, fix))
            size += bytes_
            if cat == target and window_ms[0] <= fix.t_s * 1000 <= window_ms[1]:
                day.append((fix.t_s * 1000, fix.lat, fix.lon))
                day_size += bytes_
        if i % max(1, len(cats) // 10) == 0 or i == len(cats):
            left = (total - items) / (items / seconds)
            catdata.note(f"filled {items:,} of {total:,} items in {seconds:.0f} s"
                         f" (about {left:.0f} s to go)")
    return Table(items, size, seconds, day, day_size)


# --- the approaches ----------------------------------------------------------------------

def fleet_locations(b: Bench) -> tuple[catdata.Run, dict, list]:
    run = catdata.must(catdata.measured(
        [b.fleet, "--file", str(b.file), "locations", b.cat.name, "--day", b.day.isoformat(),
         "--tz", catdata.TZ, "--format", "jsonl"], env=b.env, cwd=b.cwd), "fleet locations")
    read = FLEET_READ.search(run.stderr)
    if read is None:
        raise SystemExit(f"fleet locations did not say what it read; its stderr:\n{run.stderr}")
    if read[3] != "none":
        raise SystemExit(f"fleet dropped fixes the benchmark wrote as valid: {read[3]}")
    fixes = []
    for line in run.stdout.decode().splitlines():
        fix = json.loads(line)
        at = datetime.datetime.fromisoformat(fix["time"])
        fixes.append((round(at.timestamp() * 1000), fix["latitude"], fix["longitude"]))
    return run, {"items_read": int(read[1]), "pages": int(read[2])}, fixes


def python_script(script: str, what: str) -> Callable[[Bench], tuple[catdata.Run, dict, list]]:
    """An approach that runs `script` with the emulator's Python."""

    def run_it(b: Bench) -> tuple[catdata.Run, dict, list]:
        start, end = b.window_ms
        run = catdata.must(catdata.measured(
            [str(catdata.PYTHON), "-c", script, catdata.TABLE, b.cat.device, str(start),
             str(end), catdata.REGION], env=b.env, cwd=b.cwd), what)
        out = json.loads(run.stdout)
        fixes = [(t, float(lat), float(lon)) for t, lat, lon in out["fixes"]]
        return run, {"items_read": out["read"], "pages": out["pages"]}, fixes

    return run_it


APPROACHES = [
    Approach("fleet", "day", fleet_locations),
    Approach("notebook scan", "table", python_script(NOTEBOOK_SCAN, "the notebook's scan")),
    Approach("boto3 query", "day", python_script(BOTO3_QUERY, "the boto3 query")),
]


def check(approach: Approach, got: dict, fixes: list, table: Table) -> None:
    """The day's fixes exactly, and as many items read as the method must."""
    if fixes != table.day_fixes:
        first = next((i for i, (a, b) in enumerate(zip(fixes, table.day_fixes)) if a != b),
                     min(len(fixes), len(table.day_fixes)))
        raise SystemExit(
            f"{approach.name} returned {len(fixes)} fixes, not the {len(table.day_fixes)} "
            f"written; first difference at #{first}: "
            f"{fixes[first:first + 1]} != {table.day_fixes[first:first + 1]}")
    must_read = len(table.day_fixes) if approach.reads == "day" else table.items
    if got["items_read"] != must_read:
        raise SystemExit(f"{approach.name} read {got['items_read']} items, expected {must_read}")


# --- measuring -----------------------------------------------------------------------------

def measure(b: Bench, table: Table, runs: int, results: catdata.Results) -> list[dict]:
    rows = []
    for r in range(runs):
        order = APPROACHES[r % len(APPROACHES):] + APPROACHES[:r % len(APPROACHES)]
        for approach in order:
            catdata.note(f"run {r + 1}/{runs}: {approach.name} ...")
            load = catdata.loadavg()[0]
            run, got, fixes = approach.run(b)
            check(approach, got, fixes, table)
            row = {"bench": "locations", "kind": "run", "run": r + 1,
                   "approach": approach.name, "wall_s": round(run.wall_s, 4),
                   "peak_rss_mb": mb(run.peak_rss_mb), **got,
                   "returned": len(fixes), "load_1m": load}
            results.add(row)
            rows.append(row)
    return rows


def mb(peak: float | None) -> float | None:
    return None if peak is None else round(peak, 1)


def median_or_none(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def read_units(size: int) -> float:
    """Eventually consistent read units for reading `size` bytes of items."""
    return math.ceil(size / 4096) / 2


def summarise(rows: list[dict], table: Table) -> list[dict]:
    fleet_s = statistics.median(r["wall_s"] for r in rows if r["approach"] == "fleet")
    out = []
    for approach in APPROACHES:
        mine = [r for r in rows if r["approach"] == approach.name]
        wall = statistics.median(r["wall_s"] for r in mine)
        size = table.day_bytes if approach.reads == "day" else table.bytes
        out.append({"bench": "locations", "kind": "summary", "approach": approach.name,
                    "runs": len(mine), "median_wall_s": round(wall, 4),
                    "min_wall_s": min(r["wall_s"] for r in mine),
                    "max_wall_s": max(r["wall_s"] for r in mine),
                    "ratio_to_fleet": round(wall / fleet_s, 2),
                    "items_read": mine[0]["items_read"], "bytes_read": size,
                    "read_units": read_units(size), "pages": mine[0]["pages"],
                    "median_peak_rss_mb": mb(median_or_none([r["peak_rss_mb"] for r in mine]))})
    return out


def rss(peak: float | None) -> str:
    return "-" if peak is None else f"{peak:.0f} MB"


def report(setup: dict, summaries: list[dict], load_end: float) -> None:
    print(f"\none cat's day ({setup['cat']}, {setup['day']}, {setup['day_fixes']} fixes) from "
          f"{setup['items']:,} items ({setup['cats']} cats x {setup['days']} days), "
          f"median of {summaries[0]['runs']} runs")
    print(f"{'approach':<14} {'wall':>10} {'/ fleet':>8} {'items read':>11} "
          f"{'read units':>11} {'pages':>6} {'peak RSS':>9}")
    for s in summaries:
        print(f"{s['approach']:<14} {catdata.seconds(s['median_wall_s']):>10} "
              f"{s['ratio_to_fleet']:>7.2f}x {s['items_read']:>11,} {s['read_units']:>11,.1f} "
              f"{s['pages']:>6} {rss(s['median_peak_rss_mb']):>9}")
    print(f"filling the table took {setup['fill_s']:.0f} s "
          f"({setup['items'] / setup['fill_s']:,.0f} items/s); "
          f"1-minute load average {setup['load_1m_start']:.2f} at the start, "
          f"{load_end:.2f} at the end")
    print("the emulator's Query sorts the whole table as a Scan page does: see the docstring")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fleet", help="the fleet binary, e.g. target/release/fleet")
    parser.add_argument("--cats", type=int, default=CATS, help="cats in the table (%(default)s)")
    parser.add_argument("--days", type=int, default=DAYS,
                        help="days of 5-minute fixes per cat, from 2026-11-01 (%(default)s)")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per approach (%(default)s)")
    args = parser.parse_args()
    if min(args.cats, args.days, args.runs) < 1:
        parser.error("--cats, --days and --runs must be at least 1")
    fleet = catdata.check_setup(args.fleet)

    started, load_start = time.perf_counter(), catdata.loadavg()[0]
    cats = catdata.make_cats(args.cats)
    target = cats[len(cats) // 2]
    day = FIRST_DAY + datetime.timedelta(days=args.days // 2)
    window_ms = day_window(day)
    with (tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp,
          catdata.Emulator() as emulator, catdata.Results("locations") as results):
        env = catdata.aws_env(emulator.url)
        file = catdata.fleet_file(Path(tmp), cats)
        catdata.note(f"emulator at {emulator.url}; fleet apply of {len(cats)} cats ...")
        apply_s = catdata.apply(fleet, file, env, tmp)
        checked = catdata.check_item_shape(fleet, file, cats, tmp)
        table = fill_table(emulator.url, cats, args.days, target, window_ms)
        setup = {"bench": "locations", "kind": "setup", "cats": args.cats, "days": args.days,
                 "items": table.items, "table_bytes": table.bytes,
                 "fill_s": round(table.fill_s, 2), "apply_s": round(apply_s, 2),
                 "items_checked_with_rule_test": checked, "cat": target.name,
                 "device": target.device, "day": day.isoformat(), "tz": catdata.TZ,
                 "window_ms": list(window_ms), "day_fixes": len(table.day_fixes),
                 "day_bytes": table.day_bytes, "runs": args.runs, "fleet": fleet,
                 "fleet_version": catdata.version(fleet), "load_1m_start": load_start}
        results.add(setup)

        bench = Bench(fleet, file, env, tmp, target, day, window_ms)
        rows = measure(bench, table, args.runs, results)
        summaries = summarise(rows, table)
        for s in summaries:
            results.add(s)
        load_end = catdata.loadavg()[0]
        results.add({"bench": "locations", "kind": "end", "load_1m_end": load_end,
                     "total_s": round(time.perf_counter() - started, 1)})
    report(setup, summaries, load_end)
    catdata.note(f"JSON lines kept in {results.path.relative_to(catdata.ROOT)}")


if __name__ == "__main__":
    main()
