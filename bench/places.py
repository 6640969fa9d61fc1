"""`fleet places` on 100,000 fixes of one cat against scikit-learn's DBSCAN
(haversine, ball tree) on the same points with the same radius and
min_samples, in wall time and peak RSS, with identical clusters checked.

The table: an emulator, `fleet apply --yes` of a fleet of one generated cat
(bench/catdata.py), then 100,000 of her 5-minute fixes (347 days from
2026-11-01, two sleeping spots and SPOTS favourite ones up to 900 m from
home; shaped as fleet's topic rule writes them, checked with `fleet rule
test` first). Smaller sizes are the first N of the same fixes: each size is
a window from 2026-11-01 up to just after its N-th fix, so one fill serves
them all.

Per size, two processes take turns, RUNS times (which goes first
alternates), and the medians are reported:

- fleet: `fleet --output json places CAT --from 2026-11-01 --to T --tz
  Europe/Amsterdam --radius 30 --min-fixes 5 --top N` (fleet's defaults for
  radius and min-fixes, passed explicitly; --top N so every place is
  printed), with `-v`. Its wall time is the whole command: start, the
  Query of the window (paginated, projected), cleaning the fixes, DBSCAN,
  ranking, the report. `-v` logs how long the read took and how long
  DBSCAN and the ranking took; the latter is reported as "fleet clustering",
  beside scikit-learn's fit alone (which leaves out the centres and radii
  the pipeline computes after it, so it flatters scikit-learn a little).
- sklearn pipeline: the notebook's equivalent as its own process: boto3
  (resource API) `query` of the same window, numpy radians,
  `DBSCAN(eps=radius / EARTH_RADIUS_M, min_samples=min_fixes,
  metric="haversine", algorithm="ball_tree").fit(X)`, then each cluster's
  centre and radius. Its wall time is the whole process; it also times its
  own phases, and the `fit` phase is reported as "sklearn fit alone".

Identical clusters: on every run, fleet's places and scikit-learn's
clusters must agree: the same number of clusters and of noise fixes, and,
matched one to one by centre, each pair with the same fix count, the same
centre (the mean of the fixes on the unit sphere, as fleet computes it; to
fleet's rounding of 1e-6 degrees) and the same radius (to 0.1 m). fleet
must also have clustered every fix written (it drops duplicates and
impossible jumps first; catdata's fixes have none) and say so. The script
stops with the differences if any check fails.

Caveats that belong beside the numbers:

- scikit-learn's DBSCAN first lists every fix's neighbours within the radius
  and keeps them all, so its memory grows with the square of the fixes at
  one spot; a cat sleeping at home for months puts tens of thousands of
  fixes within 30 m of each other. On these fixes its peak RSS went from
  0.9 GB at 20,000 fixes to 4.4 GB at 40,000; 100,000 extrapolates to tens
  of GB, more than a 24 GB machine has. The pipeline therefore runs under an
  address-space limit (--sklearn-memory-gb, by default the memory available
  at the start less 4 GB), so that it fails with a MemoryError, which is
  reported as the result for that size, instead of waking the OOM killer on
  a shared machine; larger sizes are then not tried. The identical-clusters
  check is made at every size the pipeline completes.
- Both sides read the window through the emulator (moto), which is slow at
  it: its response serializer takes about a millisecond per item returned,
  and its Query sorts every item of the table on each page (about 5,000
  items a page here). Reading 100,000 fixes takes minutes on this machine,
  for either side, and is most of both wall times; the pipeline's own read
  phase shows how much. DynamoDB returns the same pages in well under a
  second each. The emulator serves one request at a time.
- This runs on a shared 2-core machine: the 1-minute load average is
  recorded before every command and at the start and end.

Usage: .emulator/venv/bin/python bench/places.py PATH/TO/RELEASE/fleet
           [--fixes 25000,50000,100000] [--runs 5] [--sklearn-memory-gb N]
"""

import argparse
import datetime
import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import catdata

SIZES = [25_000, 50_000, 100_000]
RUNS = 5
SPOTS = 30  # favourite spots, as catdata.cat_fixes takes them
RADIUS_M = 30.0  # fleet's --radius default (src/track/places.rs)
MIN_FIXES = 5  # fleet's --min-fixes default, scikit-learn's min_samples default
FIRST_DAY = datetime.date(2026, 11, 1)
START_S = 1_793_487_600  # FIRST_DAY's local midnight in Amsterdam, 2026-10-31T23:00:00Z
FILL_CHUNK = 10_000
GB = 1024 ** 3

# The notebook's cells, as a script of its own. The address-space limit at
# the top is the benchmark's guard (see the docstring), not the notebook's.
PIPELINE = """
import json, resource, sys, time
table_name, device, start_ms, end_ms, region, radius_m, min_fixes, cap = sys.argv[1:]
if int(cap):
    resource.setrlimit(resource.RLIMIT_AS, (int(cap), int(cap)))

import boto3
import numpy as np
from boto3.dynamodb.conditions import Key
from sklearn.cluster import DBSCAN

EARTH_RADIUS_M = 6_371_008.8
table = boto3.resource("dynamodb", region_name=region).Table(table_name)
wanted = Key("device_id").eq(device) & Key("time").between(int(start_ms), int(end_ms))

t0 = time.perf_counter()
items, kwargs = [], {"KeyConditionExpression": wanted}
while True:
    page = table.query(**kwargs)
    items += page["Items"]
    if "LastEvaluatedKey" not in page:
        break
    kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
t1 = time.perf_counter()
X = np.radians(np.array([[float(i["latitude"]), float(i["longitude"])] for i in items]))
t2 = time.perf_counter()
labels = DBSCAN(eps=float(radius_m) / EARTH_RADIUS_M, min_samples=int(min_fixes),
                metric="haversine", algorithm="ball_tree").fit(X).labels_
t3 = time.perf_counter()

# Each cluster's centre (the mean of its fixes on the unit sphere) and radius
# (the farthest fix from the centre, by haversine).
placed = labels >= 0
label, lat, lon = labels[placed], X[placed, 0], X[placed, 1]
n = int(labels.max()) + 1
unit = [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
x, y, z = (np.bincount(label, weights=u, minlength=n) for u in unit)
c_lat, c_lon = np.arctan2(z, np.hypot(x, y)), np.arctan2(y, x)
half = (np.sin(0.5 * (c_lat[label] - lat)) ** 2
        + np.cos(c_lat[label]) * np.cos(lat) * np.sin(0.5 * (c_lon[label] - lon)) ** 2)
far = np.zeros(n)
np.maximum.at(far, label, 2 * np.arcsin(np.sqrt(half)) * EARTH_RADIUS_M)
counts = np.bincount(label, minlength=n)
t4 = time.perf_counter()

clusters = [{"fixes": int(counts[k]), "latitude": float(np.degrees(c_lat[k])),
             "longitude": float(np.degrees(c_lon[k])), "radius_m": float(far[k])}
            for k in range(n)]
print(json.dumps({"fixes": len(items), "noise": int((~placed).sum()), "clusters": clusters,
                  "read_s": t1 - t0, "prepare_s": t2 - t1, "fit_s": t3 - t2,
                  "describe_s": t4 - t3}))
"""


# fleet's `-v` lines, e.g. `DEBUG fleet::commands::places: clustered and
# ranked fixes=100000 places=31 ms=812` (colour codes stripped first).
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMED = re.compile(r"(read the window|clustered and ranked)\b.*\bms=(\d+)")


class OutOfMemory(Exception):
    """The pipeline did not fit in its memory limit."""


# --- the fixes -----------------------------------------------------------------------------

def fill_table(url: str, cat: catdata.Cat, fixes: list[catdata.Fix]) -> float:
    ddb = catdata.dynamodb(url)
    seconds = 0.0
    for done in range(0, len(fixes), FILL_CHUNK):
        _, took = catdata.fill(ddb, [(cat, fixes[done:done + FILL_CHUNK])])
        seconds += took
        written = min(done + FILL_CHUNK, len(fixes))
        left = (len(fixes) - written) / (written / seconds)
        catdata.note(f"filled {written:,} of {len(fixes):,} items in {seconds:.0f} s"
                     f" (about {left:.0f} s to go)")
    return seconds


def window(fixes: list[catdata.Fix], n: int) -> tuple[int, int]:
    """From FIRST_DAY's midnight to one second after the n-th fix, in epoch
    milliseconds, both ends included (as BETWEEN takes them)."""
    return START_S * 1000, (fixes[n - 1].t_s + 1) * 1000 - 1


def rfc3339(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the two sides -------------------------------------------------------------------------

def fleet_places(fleet: str, file: Path, env: dict, cwd: str, cat: catdata.Cat, n: int,
                 span: tuple[int, int]) -> tuple[catdata.Run, dict]:
    run = catdata.must(catdata.measured(
        [fleet, "-v", "--file", str(file), "--output", "json", "places", cat.name,
         "--from", FIRST_DAY.isoformat(), "--to", rfc3339(span[1] + 1), "--tz", catdata.TZ,
         "--radius", f"{RADIUS_M:g}", "--min-fixes", str(MIN_FIXES), "--top", str(n)],
        env=env, cwd=cwd), "fleet places")
    report = json.loads(run.stdout)
    if report["fixes"] != n or "dropped: none" not in run.stderr:
        raise SystemExit(f"fleet clustered {report['fixes']} fixes, not the {n} written; "
                         f"its stderr: {run.stderr.strip()}")
    if len(report["places"]) != report["found"]:
        raise SystemExit(f"fleet printed {len(report['places'])} of {report['found']} places")
    return run, report


def fleet_phases(stderr: str) -> dict:
    """The read and clustering times fleet's `-v` logged, in seconds."""
    found = {m[1]: int(m[2]) / 1000 for m in TIMED.finditer(ANSI.sub("", stderr))}
    if len(found) != 2:
        raise SystemExit(f"fleet -v did not log its read and clustering times:\n{stderr[-2000:]}")
    return {"read_s": found["read the window"], "cluster_s": found["clustered and ranked"]}


def pipeline(env: dict, cwd: str, cat: catdata.Cat, span: tuple[int, int],
             cap_bytes: int) -> tuple[catdata.Run, dict]:
    run = catdata.measured(
        [str(catdata.PYTHON), "-c", PIPELINE, catdata.TABLE, cat.device, str(span[0]),
         str(span[1]), catdata.REGION, repr(RADIUS_M), str(MIN_FIXES), str(cap_bytes)],
        env=env, cwd=cwd)
    if run.status != 0 and ("MemoryError" in run.stderr or run.status == 137):
        raise OutOfMemory(f"out of memory (status {run.status}) after {run.wall_s:.0f} s, "
                          f"peak RSS {run.peak_rss_mb or 0:.0f} MB, under a "
                          f"{cap_bytes / GB:.1f} GB address-space limit")
    catdata.must(run, "the scikit-learn pipeline")
    return run, json.loads(run.stdout)


def differences(report: dict, sk: dict) -> list[str]:
    """How fleet's places and scikit-learn's clusters differ; [] when they
    are the same clusters (see the docstring for what "same" takes)."""
    problems = []
    if report["fixes"] != sk["fixes"]:
        problems.append(f"fixes: fleet {report['fixes']}, scikit-learn {sk['fixes']}")
    if report["found"] != len(sk["clusters"]):
        problems.append(f"clusters: fleet {report['found']}, scikit-learn {len(sk['clusters'])}")
    if report["unplaced"] != sk["noise"]:
        problems.append(f"noise: fleet {report['unplaced']}, scikit-learn {sk['noise']}")
    left = list(sk["clusters"])
    for place in report["places"]:
        match = min(left, default=None, key=lambda c: (c["latitude"] - place["latitude"]) ** 2
                    + (c["longitude"] - place["longitude"]) ** 2)
        if match is None or not alike(place, match):
            problems.append(f"fleet's place #{place['rank']} {brief(place)} has no equal in "
                            f"scikit-learn's (nearest: {brief(match) if match else 'none'})")
            continue
        left.remove(match)
    problems += [f"scikit-learn's cluster {brief(c)} has no equal in fleet's" for c in left]
    return problems


def alike(place: dict, cluster: dict) -> bool:
    """fleet rounds centres to 1e-6 degrees and radii to 0.1 m."""
    return (place["fixes"] == cluster["fixes"]
            and abs(place["latitude"] - cluster["latitude"]) <= 1.5e-6
            and abs(place["longitude"] - cluster["longitude"]) <= 1.5e-6
            and abs(place["radius_m"] - cluster["radius_m"]) <= 0.06)


def brief(c: dict) -> str:
    return (f"({c['fixes']} fixes at {c['latitude']:.6f}, {c['longitude']:.6f}, "
            f"radius {c['radius_m']:.1f} m)")


# --- measuring -----------------------------------------------------------------------------

@dataclass
class Bench:
    """What every run works against."""
    fleet: str
    file: Path
    env: dict
    cwd: str
    cat: catdata.Cat
    fixes: list[catdata.Fix]
    cap_bytes: int


def run_fleet(b: Bench, n: int, span: tuple[int, int]) -> tuple[dict, dict]:
    run, report = fleet_places(b.fleet, b.file, b.env, b.cwd, b.cat, n, span)
    return report, {"approach": "fleet places", "clusters": report["found"],
                    "noise": report["unplaced"], "wall_s": round(run.wall_s, 4),
                    "peak_rss_mb": mb(run.peak_rss_mb), **fleet_phases(run.stderr)}


def run_pipeline(b: Bench, span: tuple[int, int]) -> tuple[dict, dict]:
    run, sk = pipeline(b.env, b.cwd, b.cat, span, b.cap_bytes)
    phases = {k: round(sk[k], 4) for k in ("read_s", "prepare_s", "fit_s", "describe_s")}
    return sk, {"approach": "sklearn pipeline", "clusters": len(sk["clusters"]),
                "noise": sk["noise"], "wall_s": round(run.wall_s, 4),
                "peak_rss_mb": mb(run.peak_rss_mb), **phases}


def bench_size(b: Bench, n: int, runs: int, results: catdata.Results,
               failure: str | None) -> dict:
    """`runs` turns of fleet and the pipeline on the first n fixes, the
    clusters checked after each turn; returns the size's summary. `failure`
    says why the pipeline is not to be tried at all."""
    span = window(b.fixes, n)
    rows: dict[str, list[dict]] = {"fleet": [], "sklearn": []}
    for r in range(runs):
        report = sk = None
        for side in ("fleet", "sklearn") if r % 2 == 0 else ("sklearn", "fleet"):
            if side == "sklearn" and failure:
                continue
            catdata.note(f"{n:,} fixes, run {r + 1}/{runs}: {side} ...")
            row = {"bench": "places", "kind": "run", "fixes": n, "run": r + 1,
                   "load_1m": catdata.loadavg()[0]}
            if side == "fleet":
                report, measured = run_fleet(b, n, span)
            else:
                try:
                    sk, measured = run_pipeline(b, span)
                except OutOfMemory as error:
                    failure = str(error)
                    results.add(row | {"approach": "sklearn pipeline", "error": failure})
                    continue
            results.add(row | measured)
            rows[side].append(row | measured)
        if sk is not None:
            check(report, sk, n)
    return summary(n, rows, failure)


def check(report: dict, sk: dict, n: int) -> None:
    problems = differences(report, sk)
    if problems:
        raise SystemExit(f"fleet and scikit-learn found different clusters in {n:,} fixes:\n  "
                         + "\n  ".join(problems))


def mb(peak: float | None) -> float | None:
    return None if peak is None else round(peak, 1)


def median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.median(values), 4) if values else None


def summary(n: int, rows: dict[str, list[dict]], failure: str | None) -> dict:
    fleet, sk = rows["fleet"], rows["sklearn"]
    out = {"bench": "places", "kind": "summary", "fixes": n, "runs": len(fleet),
           "clusters": fleet[0]["clusters"], "noise": fleet[0]["noise"],
           "fleet_wall_s": median(fleet, "wall_s"),
           "fleet_peak_rss_mb": median(fleet, "peak_rss_mb"),
           "fleet_read_s": median(fleet, "read_s"),
           "fleet_cluster_s": median(fleet, "cluster_s"),
           "identical_clusters": bool(sk)}
    if sk:
        out |= {"pipeline_wall_s": median(sk, "wall_s"),
                "pipeline_peak_rss_mb": median(sk, "peak_rss_mb"),
                "pipeline_read_s": median(sk, "read_s"),
                "sklearn_fit_s": median(sk, "fit_s"),
                "ratio_pipeline_to_fleet": round(median(sk, "wall_s") / out["fleet_wall_s"], 2),
                "ratio_fit_to_fleet_clustering":
                    round(median(sk, "fit_s") / max(out["fleet_cluster_s"], 0.001), 1)}
    else:
        out["pipeline_error"] = failure
    return out


def available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024 / GB
    raise SystemExit("no MemAvailable in /proc/meminfo: pass --sklearn-memory-gb")


# --- the report ------------------------------------------------------------------------------

def megabytes(m: float | None) -> str:
    return "-" if m is None else f"{m:,.0f} MB"


def report(setup: dict, summaries: list[dict], load_end: float) -> None:
    print(f"\n`fleet places` against scikit-learn's DBSCAN (haversine, ball tree), radius "
          f"{RADIUS_M:g} m, min {MIN_FIXES} fixes; one cat's 5-minute fixes, "
          f"median of {setup['runs']} runs")
    print(f"{'fixes':>8} {'clusters':>8} {'noise':>6} {'fleet':>9} {'pipeline':>9} "
          f"{'/ fleet':>8} {'fleet DBSCAN':>13} {'sklearn fit':>12} {'/ fleet':>8} "
          f"{'fleet RSS':>10} {'pipeline RSS':>13}  identical")
    for s in summaries:
        ratio = f"{s['ratio_pipeline_to_fleet']:.2f}x" if "ratio_pipeline_to_fleet" in s else "-"
        fit_ratio = (f"{s['ratio_fit_to_fleet_clustering']:.1f}x"
                     if "ratio_fit_to_fleet_clustering" in s else "-")
        print(f"{s['fixes']:>8,} {s['clusters']:>8} {s['noise']:>6} "
              f"{catdata.seconds(s['fleet_wall_s']):>9} "
              f"{catdata.seconds(s.get('pipeline_wall_s')):>9} "
              f"{ratio:>8} {catdata.seconds(s['fleet_cluster_s']):>13} "
              f"{catdata.seconds(s.get('sklearn_fit_s')):>12} {fit_ratio:>8} "
              f"{megabytes(s['fleet_peak_rss_mb']):>10} "
              f"{megabytes(s.get('pipeline_peak_rss_mb')):>13}  "
              f"{'yes' if s['identical_clusters'] else 'not checked'}")
        if "pipeline_error" in s:
            print(f"{'':>8} scikit-learn: {s['pipeline_error']}")
    print(f"filling the table took {setup['fill_s']:.0f} s; 1-minute load average "
          f"{setup['load_1m_start']:.2f} at the start, {load_end:.2f} at the end")
    print("both wall times include reading the window from the emulator (fleet's read: "
          + ", ".join(catdata.seconds(s["fleet_read_s"]) for s in summaries) + "); fleet DBSCAN is "
          "its clustering and ranking as `-v` logs it, sklearn fit is DBSCAN(...).fit alone")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fleet", help="the fleet binary, e.g. target/release/fleet")
    parser.add_argument("--fixes", default=",".join(map(str, SIZES)),
                        help="comma-separated numbers of fixes (default %(default)s)")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per size (%(default)s)")
    parser.add_argument("--sklearn-memory-gb", type=float, default=None,
                        help="address-space limit of the scikit-learn pipeline, 0 for none "
                             "(default: the memory available at the start less 4 GB)")
    args = parser.parse_args()
    try:
        sizes = sorted({int(s) for s in args.fixes.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--fixes {args.fixes!r}: write numbers separated by commas")
    if not sizes or sizes[0] < 1 or args.runs < 1:
        parser.error("--fixes and --runs must be at least 1")
    if args.sklearn_memory_gb is not None and 0 < args.sklearn_memory_gb < 1:
        parser.error("--sklearn-memory-gb: 0 for no limit, else at least 1 "
                     "(Python with numpy, scipy and scikit-learn maps about 0.5 GB)")
    fleet = catdata.check_setup(args.fleet)
    cap_gb = args.sklearn_memory_gb
    if cap_gb is None:
        cap_gb = max(2.0, available_gb() - 4)

    started, load_start = time.perf_counter(), catdata.loadavg()[0]
    cat = catdata.make_cats(1)[0]
    fixes = catdata.cat_fixes(cat, START_S, sizes[-1], spots=SPOTS)
    with (tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp,
          catdata.Emulator() as emulator, catdata.Results("places") as results):
        env = catdata.aws_env(emulator.url)
        file = catdata.fleet_file(Path(tmp), [cat])
        catdata.note(f"emulator at {emulator.url}; fleet apply of one cat ...")
        apply_s = catdata.apply(fleet, file, env, tmp)
        checked = catdata.check_item_shape(fleet, file, [cat], tmp)
        fill_s = fill_table(emulator.url, cat, fixes)
        setup = {"bench": "places", "kind": "setup", "fixes_written": len(fixes),
                 "sizes": sizes, "spots": SPOTS, "radius_m": RADIUS_M, "min_fixes": MIN_FIXES,
                 "cat": cat.name, "device": cat.device, "from": FIRST_DAY.isoformat(),
                 "last_fix": rfc3339(fixes[-1].t_s * 1000), "fill_s": round(fill_s, 2),
                 "apply_s": round(apply_s, 2), "items_checked_with_rule_test": checked,
                 "sklearn_memory_cap_gb": round(cap_gb, 1), "runs": args.runs,
                 "fleet": fleet, "fleet_version": catdata.version(fleet),
                 "load_1m_start": load_start}
        results.add(setup)

        bench = Bench(fleet, file, env, tmp, cat, fixes, int(cap_gb * GB))
        summaries, failure = [], None
        for n in sizes:
            summaries.append(bench_size(bench, n, args.runs, results, failure))
            results.add(summaries[-1])
            if "pipeline_error" in summaries[-1] and failure is None:
                # Its memory grows with the square of the fixes: more will not fit.
                failure = f"not tried: it ran out of memory at {n:,} fixes"
        load_end = catdata.loadavg()[0]
        results.add({"bench": "places", "kind": "end", "load_1m_end": load_end,
                     "total_s": round(time.perf_counter() - started, 1)})
    report(setup, summaries, load_end)
    catdata.note(f"JSON lines kept in {results.path.relative_to(catdata.ROOT)}")


if __name__ == "__main__":
    main()
