"""End-to-end latency of the local IoT Core: an uplink published -> its item
readable in the location table, one uplink at a time, two ways in one run:

- iot-data: boto3's `iot-data` client `publish` (QoS 1) against the emulator,
  which forwards the message to `fleet local`'s MQTT broker (as `fleet verify`
  and TTN's AWS IoT integration publish), then fleet's rules engine runs the
  deployed rule and puts the item into DynamoDB, in the emulator;
- mqtt: the same uplinks published with paho-mqtt (QoS 1, one connection kept
  open) straight to `fleet local`'s broker, which leaves out the emulator's
  data-plane hop and shows what it costs.

Each uplink is a TTN v3 uplink built from examples/uplink-lgt92.json, with
its own device (one of the sample fleet's three cats) and received_at, so
each writes a new item. Its clock starts just before the publish call and
stops when a GetItem (ConsistentRead, polled every POLL_S) first returns the
item; the time of the publish call alone is reported too. The two ways take
turns, uplink by uplink, so a busy machine slows them alike. WARM_UP uplinks
per way go first, uncounted (connections, first rule read). Percentiles are
nearest-rank. The 1-minute load average at the start and the end is printed.

Caveats that belong beside the numbers: the emulator serves one request at a
time (moto has no locks), so the polling GetItems and fleet local's PutItem
take turns; an idle GetItem's round trip, measured first, is the floor of
what the poll can see. Everything runs on this machine, so the numbers say
how the local tooling behaves, not how AWS IoT does.

The script starts and stops its own processes: an emulator
(`PYTHONPATH=emulator .emulator/venv/bin/python -m fleet_emulator --port 0`),
`fleet apply --yes` of the sample fleet.yaml onto it, and
`fleet local --mqtt-port 0`.

Usage: .emulator/venv/bin/python bench/latency.py PATH/TO/fleet [COUNT]
"""

import copy
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import paho.mqtt.client as mqtt
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".emulator/venv/bin/python"
REGION = "eu-west-1"
TABLE = "backyard-cats-locations"  # the sample fleet.yaml's table
APPLICATION = "backyard-cats"
DEVICES = ["snowy-lgt92", "tiger-lgt92", "misty-lgt92"]  # its cats' trackers
COUNT = 200
WARM_UP = 5
POLL_S = 0.002
TIMEOUT_S = 10.0
START_S = 1_796_120_130  # 2026-12-01T10:15:30Z


def aws_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "FLEET_FILE", "FLEET_OUTPUT", "FLEET_ENDPOINT_URL")}
    env.update({
        "AWS_ENDPOINT_URL": url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    })
    return env


def first_line(process: subprocess.Popen, prefix: str, what: str) -> str:
    line = process.stdout.readline().decode().strip()
    if not line.startswith(prefix):
        raise SystemExit(f"{what} did not start: its first line was {line!r}")
    return line[len(prefix):]


def uplink(template: dict, seconds: int, device: str) -> tuple[str, bytes, str]:
    """A TTN v3 uplink of `device` received at `seconds`: topic, payload, and
    the sort key of the item it should become."""
    up = copy.deepcopy(template)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    up["end_device_ids"]["device_id"] = device
    up["received_at"] = f"{stamp}.{seconds % 1000:03d}518Z"
    up["uplink_message"]["f_cnt"] = str(seconds - START_S)
    decoded = up["uplink_message"]["decoded_payload"]
    decoded["Latitude"] = round(52.37 + (seconds % 997) * 1e-5, 6)
    decoded["Longitude"] = round(4.89 + (seconds % 991) * 1e-5, 6)
    topic = f"{APPLICATION}/devices/{device}/up"
    return topic, json.dumps(up).encode(), str(seconds * 1000)


def wait_for_item(ddb, device: str, time_ms: str) -> float:
    """Polls until the item is readable; returns when (perf_counter)."""
    deadline = time.perf_counter() + TIMEOUT_S
    key = {"device_id": {"S": device}, "time": {"N": time_ms}}
    while True:
        if "Item" in ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True):
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise SystemExit(f"no item for {device} at {time_ms} within {TIMEOUT_S:g} s")
        time.sleep(POLL_S)


def measure(ways: dict, ddb, template: dict, count: int) -> dict[str, dict]:
    """Publishes WARM_UP + count uplinks each way, one at a time, the ways
    taking turns (which goes first alternates) so a busy machine slows them
    alike; per way, the counted publish -> item latencies and publish call
    times, in seconds."""
    runs = {name: {"total": [], "call": []} for name in ways}
    names = list(ways)
    for i in range(WARM_UP + count):
        device = DEVICES[i % len(DEVICES)]
        for name in names if i % 2 == 0 else names[::-1]:
            first_second = START_S + 100_000 * names.index(name)
            topic, payload, time_ms = uplink(template, first_second + i, device)
            start = time.perf_counter()
            ways[name](topic, payload)
            published = time.perf_counter()
            arrived = wait_for_item(ddb, device, time_ms)
            if i >= WARM_UP:
                runs[name]["total"].append(arrived - start)
                runs[name]["call"].append(published - start)
    return runs


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"n": len(ordered), "p50_ms": rank(50) * 1000, "p90_ms": rank(90) * 1000,
            "p99_ms": rank(99) * 1000, "max_ms": ordered[-1] * 1000,
            "mean_ms": statistics.fmean(ordered) * 1000}


def stop(process: subprocess.Popen | None, sig: int) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__.strip().splitlines()[-1])
    fleet = str(Path(sys.argv[1]).resolve())
    count = int(sys.argv[2]) if len(sys.argv) == 3 else COUNT
    template = json.loads((ROOT / "examples/uplink-lgt92.json").read_text())

    load_start = os.getloadavg()[0]
    emulator = local = client = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            emulator = subprocess.Popen(
                [str(PYTHON), "-m", "fleet_emulator", "--port", "0"],
                env={**os.environ, "PYTHONPATH": str(ROOT / "emulator")},
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            url = first_line(emulator, "fleet-emulator listening on ", "the emulator")
            env = aws_env(url)
            fleet_file = ["--file", str(ROOT / "fleet.yaml")]

            applied = subprocess.run([fleet, "apply", "--yes", *fleet_file], cwd=tmp, env=env,
                                     capture_output=True, text=True)
            if applied.returncode != 0:
                raise SystemExit(f"fleet apply failed:\n{applied.stdout}{applied.stderr}")

            with open(Path(tmp) / "local.log", "wb") as log:
                local = subprocess.Popen([fleet, "local", "--mqtt-port", "0", *fleet_file],
                                         cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=log)
            broker = first_line(local, "fleet-local listening on mqtt://", "fleet local")
            host, port = broker.rsplit(":", 1)

            config = Config(retries={"max_attempts": 1})
            session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
            iot_data = session.client("iot-data", endpoint_url=url, config=config)
            ddb = session.client("dynamodb", endpoint_url=url, config=config)

            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-latency",
                                 protocol=mqtt.MQTTv311)
            client.connect(host, int(port), keepalive=60)
            client.loop_start()

            def via_iot_data(topic: str, payload: bytes) -> None:
                iot_data.publish(topic=topic, qos=1, payload=payload)

            def via_mqtt(topic: str, payload: bytes) -> None:
                message = client.publish(topic, payload, qos=1)
                message.wait_for_publish(TIMEOUT_S)
                if not message.is_published():
                    raise SystemExit("the broker did not acknowledge a message")

            # The floor the polling can see: an idle GetItem of a missing key.
            missing = {"device_id": {"S": "nobody"}, "time": {"N": "0"}}
            for _ in range(20):
                ddb.get_item(TableName=TABLE, Key=missing, ConsistentRead=True)
            floor = []
            for _ in range(100):
                start = time.perf_counter()
                ddb.get_item(TableName=TABLE, Key=missing, ConsistentRead=True)
                floor.append(time.perf_counter() - start)

            runs = measure({"iot-data": via_iot_data, "mqtt": via_mqtt}, ddb, template, count)
            load_end = os.getloadavg()[0]
        finally:
            if client is not None:
                client.disconnect()
                client.loop_stop()
            stop(local, signal.SIGINT)  # Ctrl-C: it unregisters from the emulator
            stop(emulator, signal.SIGTERM)

    rows = []
    for way, run in runs.items():
        rows.append({"path": f"{way} publish -> item readable", **percentiles(run["total"])})
        rows.append({"path": f"{way} publish call alone", **percentiles(run["call"])})
    rows.append({"path": "idle GetItem round trip (poll floor)", **percentiles(floor)})

    print(f"fleet local end to end, {count} TTN v3 uplinks each way, one at a time; "
          f"GetItem polled every {POLL_S * 1000:g} ms")
    print(f"{'path':<40} {'n':>4} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}  (ms)")
    for r in rows:
        print(f"{r['path']:<40} {r['n']:>4} {r['p50_ms']:>8.2f} {r['p90_ms']:>8.2f} "
              f"{r['p99_ms']:>8.2f} {r['max_ms']:>8.2f}")
    hop = rows[0]["p50_ms"] - rows[2]["p50_ms"]
    print(f"the emulator's data-plane hop adds {hop:.2f} ms at the median")
    print(f"1-minute load average: {load_start:.2f} at the start, {load_end:.2f} at the end")
    print(json.dumps({"bench": "latency", "count": count, "poll_ms": POLL_S * 1000,
                      "load_1m": [round(load_start, 2), round(load_end, 2)],
                      "rows": [{k: (round(v, 3) if isinstance(v, float) else v)
                                for k, v in r.items()} for r in rows],
                      "emulator_hop_p50_ms": round(hop, 3)}))


if __name__ == "__main__":
    main()
