"""iot-data Publish forwarded to a registered MQTT broker: registration over
/_fleet/broker, delivery of the exact bytes to a real subscriber, failures
reported as AWS IoT reports them, reconnection after the broker restarts.

The broker is a real one, amqtt (pinned in requirements.txt), run as its own
process on a free loopback port; the subscriber is a paho-mqtt client. amqtt
hands each message on at the subscription's QoS rather than the publisher's,
so the QoS and retain flag the emulator sends are checked where they are
visible: on the wire, by RecordingBroker, a bare MQTT 3.1.1 server.
"""

from __future__ import annotations

import json
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import paho.mqtt.client as mqtt
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import REGION

WAIT = 10.0  # seconds: for a broker to start, a subscription, a message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


class Broker:
    """An amqtt broker process listening on 127.0.0.1:port."""

    def __init__(self, directory: Path, port: int):
        self.port = port
        self.url = f"mqtt://127.0.0.1:{port}"
        self.config = directory / f"broker-{port}.yaml"
        self.config.write_text(
            "listeners:\n"
            "  default:\n"
            "    type: tcp\n"
            f"    bind: 127.0.0.1:{port}\n"
            "plugins:\n"
            "  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
            "    allow_anonymous: true\n"
        )
        self.log = directory / f"broker-{port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        amqtt = Path(sys.executable).parent / "amqtt"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(amqtt), "-c", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + WAIT
        while not accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"amqtt did not start, see {self.log}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(WAIT)
        self.process = None


class Subscriber:
    """A paho-mqtt client subscribed to every topic at QoS 1."""

    def __init__(self, port: int):
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"test-subscriber-{time.monotonic_ns()}",
            protocol=mqtt.MQTTv311,
        )
        subscribed = threading.Event()
        self.client.on_message = lambda client, userdata, message: self.messages.put(message)
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe("#", qos=1)
        assert subscribed.wait(WAIT), "no SUBACK"

    def next(self) -> tuple[str, bytes, bool]:
        """(topic, payload, retain) of the next message; its QoS is amqtt's choice."""
        message = self.messages.get(timeout=WAIT)
        return message.topic, message.payload, bool(message.retain)

    def nothing_more(self) -> bool:
        time.sleep(0.3)
        return self.messages.empty()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def read_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_packet(connection: socket.socket) -> tuple[int, int, bytes]:
    """(packet type, flags, body) of the next MQTT control packet."""
    header = read_exactly(connection, 1)[0]
    length, shift = 0, 0
    while True:  # the remaining length: 7 bits a byte, high bit = more follow
        byte = read_exactly(connection, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return header >> 4, header & 0x0F, read_exactly(connection, length)


class RecordingBroker:
    """An MQTT 3.1.1 server that accepts every CONNECT and records each PUBLISH
    as it arrives: (topic, payload, qos, retain). It acknowledges QoS 1 with
    PUBACK and answers PINGREQ, which is all a publishing client needs."""

    CONNECT, CONNACK, PUBLISH, PUBACK, PINGREQ, PINGRESP, DISCONNECT = 1, 2, 3, 4, 12, 13, 14

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.published: queue.Queue[tuple[str, bytes, int, bool]] = queue.Queue()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                while True:
                    kind, flags, body = read_packet(connection)
                    if kind == self.CONNECT:
                        connection.sendall(bytes([self.CONNACK << 4, 2, 0, 0]))
                    elif kind == self.PUBLISH:
                        self._record(connection, flags, body)
                    elif kind == self.PINGREQ:
                        connection.sendall(bytes([self.PINGRESP << 4, 0]))
                    elif kind == self.DISCONNECT:
                        return
            except OSError:  # ConnectionError included: the client went away
                return

    def _record(self, connection: socket.socket, flags: int, body: bytes) -> None:
        qos, retain = (flags >> 1) & 3, bool(flags & 1)
        size = int.from_bytes(body[:2], "big")
        topic, rest = body[2 : 2 + size].decode(), body[2 + size :]
        if qos:
            packet_id, rest = rest[:2], rest[2:]
            connection.sendall(bytes([self.PUBACK << 4, 2]) + packet_id)
        self.published.put((topic, rest, qos, retain))

    def next(self) -> tuple[str, bytes, int, bool]:
        return self.published.get(timeout=WAIT)

    def close(self) -> None:
        self.server.close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    server = Broker(tmp_path_factory.mktemp("mqtt"), free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def subscriber(broker: Broker) -> Iterator[Subscriber]:
    client = Subscriber(broker.port)
    yield client
    client.close()


def registration(url: str, method: str = "GET", payload: Any = None) -> tuple[int, Any]:
    """(HTTP status, JSON body) of a call to {url}/_fleet/broker."""
    data = payload
    if payload is not None and not isinstance(payload, bytes):
        data = json.dumps(payload).encode()
    request = urllib.request.Request(f"{url}/_fleet/broker", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture(autouse=True)
def _unregistered(emulator) -> Iterator[None]:
    # The registration is the emulator process's and outlives /moto-api/reset.
    registration(emulator.url, "DELETE")
    yield
    registration(emulator.url, "DELETE")


@pytest.fixture
def registered(emulator, broker: Broker) -> Broker:
    assert registration(emulator.url, "POST", {"url": broker.url})[0] == 200
    return broker


@pytest.fixture
def data(emulator) -> Any:
    """An iot-data client as anyone using the emulator makes one: with
    endpoint_url, so only the signature and the path say which service is
    meant. No retries, so a failure is seen as it happened."""
    return boto3.client(
        "iot-data",
        endpoint_url=emulator.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_registration_round_trip(emulator):
    assert registration(emulator.url) == (200, {"url": None, "connected": False})
    url = "mqtt://127.0.0.1:1883"
    assert registration(emulator.url, "POST", {"url": url}) == (
        200,
        {"url": url, "connected": False},  # connected on the first publish
    )
    assert registration(emulator.url) == (200, {"url": url, "connected": False})
    assert registration(emulator.url, "DELETE") == (200, {"url": None, "connected": False})
    assert registration(emulator.url)[1]["url"] is None


@pytest.mark.parametrize(
    "payload, problem",
    [
        (b"not json", "expected a JSON body"),
        ({"address": "mqtt://127.0.0.1:1883"}, "expected a JSON body"),
        ({"url": "http://127.0.0.1:1883"}, "expected mqtt://HOST:PORT"),
        ({"url": "mqtt://127.0.0.1:1883/fleet"}, "nothing after it"),
        ({"url": "mqtt://192.0.2.1:1883"}, "must be on a loopback address"),
    ],
)
def test_bad_registrations_are_refused(emulator, payload, problem):
    assert registration(emulator.url, "POST", {"url": "mqtt://127.0.0.1:1"})[0] == 200
    code, answer = registration(emulator.url, "POST", payload)
    assert code == 400
    assert problem in answer["message"]
    # The earlier registration stands.
    assert registration(emulator.url)[1]["url"] == "mqtt://127.0.0.1:1"


def test_other_methods_are_refused(emulator):
    code, answer = registration(emulator.url, "PUT", {"url": "mqtt://127.0.0.1:1883"})
    assert code == 405
    assert "GET, POST or DELETE" in answer["message"]


def test_a_subscriber_receives_exactly_what_was_published(emulator, registered, subscriber, data):
    payload = bytes(range(256)) + b"\x00{}"  # every byte value, not UTF-8
    answer = data.publish(topic="fleet/snowy/uplink", qos=1, payload=payload)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert subscriber.next() == ("fleet/snowy/uplink", payload, False)

    data.publish(topic="fleet/tiger/position", qos=0, payload=b'{"lat": 52.1}')
    assert subscriber.next() == ("fleet/tiger/position", b'{"lat": 52.1}', False)

    data.publish(topic="fleet/cat 1/%41/ü", payload=b"")
    assert subscriber.next() == ("fleet/cat 1/%41/ü", b"", False)
    assert subscriber.nothing_more()
    assert registration(emulator.url) == (200, {"url": registered.url, "connected": True})


def test_qos_and_retain_go_on_the_wire_as_sent_over_one_connection(emulator, data):
    recorder = RecordingBroker()
    try:
        registration(emulator.url, "POST", {"url": recorder.url})
        data.publish(topic="fleet/a", qos=1, payload=b"one")
        data.publish(topic="fleet/b", qos=0, payload=b"two")
        data.publish(topic="fleet/c", payload=b"three")  # no qos: 0, as on AWS
        data.publish(topic="fleet/d", qos=1, retain=True, payload=b"four")
        assert [recorder.next() for _ in range(4)] == [
            ("fleet/a", b"one", 1, False),
            ("fleet/b", b"two", 0, False),
            ("fleet/c", b"three", 0, False),
            ("fleet/d", b"four", 1, True),
        ]
        assert recorder.connections == 1
    finally:
        recorder.close()


def test_retained_messages_reach_later_subscribers(registered, data):
    data.publish(topic="fleet/config", qos=1, retain=True, payload=b"interval=60")
    later = Subscriber(registered.port)
    try:
        assert later.next() == ("fleet/config", b"interval=60", True)
    finally:
        later.close()
        data.publish(topic="fleet/config", retain=True, payload=b"")  # clears it on the broker


def test_unreachable_broker_fails_the_publish(emulator, data):
    url = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens there
    registration(emulator.url, "POST", {"url": url})
    with pytest.raises(ClientError) as caught:
        data.publish(topic="fleet/a", qos=1, payload=b"x")
    answer = caught.value.response
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert answer["Error"]["Code"] == "InternalFailureException"
    assert url in answer["Error"]["Message"]
    assert registration(emulator.url)[1] == {"url": url, "connected": False}


def test_reconnects_after_the_broker_restarts(emulator, tmp_path, data):
    broker = Broker(tmp_path, free_port()).start()
    try:
        registration(emulator.url, "POST", {"url": broker.url})
        first = Subscriber(broker.port)
        data.publish(topic="fleet/a", qos=1, payload=b"one")
        assert first.next()[:2] == ("fleet/a", b"one")
        first.close()

        broker.stop()
        with pytest.raises(ClientError) as caught:
            data.publish(topic="fleet/a", qos=1, payload=b"lost")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert broker.url in caught.value.response["Error"]["Message"]

        broker.start()  # a new process on the same port
        second = Subscriber(broker.port)
        for qos in (0, 1):
            data.publish(topic="fleet/a", qos=qos, payload=b"again")
            assert second.next() == ("fleet/a", b"again", False)
        assert second.nothing_more()  # "lost" was refused, not delivered late
        second.close()
    finally:
        broker.stop()


def test_without_a_broker_publish_only_succeeds(data):
    answer = data.publish(topic="fleet/a", qos=1, payload=b"x")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(
    "arguments, problem",
    [
        ({"topic": "fleet/a", "qos": 2}, "qos must be 0 or 1"),
        ({"topic": "fleet/+/a"}, "invalid topic"),
        ({"topic": "fleet/#"}, "invalid topic"),
    ],
)
def test_invalid_publishes_are_refused(registered, subscriber, data, arguments, problem):
    with pytest.raises(ClientError) as caught:
        data.publish(payload=b"x", **arguments)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    assert problem in caught.value.response["Error"]["Message"]
    assert subscriber.nothing_more()


def test_an_unsigned_publish_is_recognised_by_its_path(emulator, registered, subscriber):
    request = urllib.request.Request(
        f"{emulator.url}/topics/fleet%2Fcurl?qos=1", data=b"\x01\x02", method="POST"
    )
    with urllib.request.urlopen(request, timeout=WAIT) as answer:  # labelled as a form
        assert answer.status == 200
    assert subscriber.next() == ("fleet/curl", b"\x01\x02", False)


def test_describe_endpoint_is_stable(aws):
    iot = aws("iot")
    ats = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert re.fullmatch(rf"[a-z0-9]{{14}}-ats\.iot\.{REGION}\.amazonaws\.com", ats)
    assert iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"] == ats
    legacy = iot.describe_endpoint(endpointType="iot:Data")["endpointAddress"]
    assert legacy == ats.replace("-ats.", ".")
    with pytest.raises(ClientError, match="InvalidRequestException"):
        iot.describe_endpoint(endpointType="iot:Nothing")
