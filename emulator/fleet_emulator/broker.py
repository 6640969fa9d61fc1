"""iot-data Publish delivered to a local MQTT broker, as AWS IoT Core delivers it.

On AWS, publishing through the IoT data plane (`aws iot-data publish`, REST
`POST /topics/{topic}?qos=N`) hands the message to IoT Core's broker: every
MQTT subscriber and every topic rule sees it. moto only stores it. `fleet
local` runs an MQTT broker on loopback (with fleet's rules engine subscribed
to it) and registers it here:

    POST   /_fleet/broker   {"url": "mqtt://127.0.0.1:PORT"}   register (replaces any earlier one)
    GET    /_fleet/broker   the registration: {"url": URL or null, "connected": bool}
    DELETE /_fleet/broker   unregister

Each answers 200 with the registration as it is afterwards; a bad request
gets 400 and {"message": ...}. Registering does not connect yet.

While a broker is registered, every Publish is also published to it (same
topic, the payload's exact bytes, QoS 0 or 1, the retain flag) over one MQTT
3.1.1 connection (paho-mqtt) that is kept between publishes and replaced when
it was lost; moto still stores the message as before. When the broker cannot
be reached, or does not acknowledge the message within 5 seconds, the Publish
fails the way AWS IoT reports an internal failure (HTTP 500,
InternalFailureException) with a message naming the broker URL, and moto does
not store it: a message is never dropped silently. (A QoS 0 message written
as the broker goes away can still be lost on the way, as QoS 0 allows; QoS 1
waits for the broker's PUBACK.)

Also here, because a publishing client depends on them:
- QoS other than 0 or 1, and a topic with a wildcard (+ or #), are refused
  (InvalidRequestException), as AWS does.
- An unsigned `POST /topics/...` (curl, a test) reaches the data plane too,
  whatever its Content-Type: moto recognises a request by its signature (or
  its host), and with a custom endpoint only the path names this one.
- DescribeEndpoint answers one stable address per account and region (moto
  made up a new one on every call); iot:Data-ATS still ends in -ats.iot.REGION.

Only a broker on a loopback address is accepted: like its listening socket,
the emulator's connections stay on this machine. The registration is the
process's, not an account's or region's, and /moto-api/reset leaves it alone.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import json
import os
import socket
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from moto.core.exceptions import JsonRESTError
from moto.iot.models import IoTBackend
from moto.iotdata.exceptions import InvalidRequestException
from moto.iotdata.responses import IoTDataPlaneResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.wrappers import Request, Response

from .stacks import _wraps

ROUTE = "/_fleet/broker"
TIMEOUT_SECONDS = 5.0  # to connect, and for the broker to acknowledge a message
_UNSIGNED_REGION = "us-east-1"  # where moto puts a request that names no region


class InternalFailureException(JsonRESTError):
    code = 500

    def __init__(self, message: str):
        super().__init__("InternalFailureException", message)


class _Failure(Exception):
    """The broker did not take a message; the text says why."""


def _loopback_address(url: str) -> tuple[str, int]:
    """mqtt://HOST[:PORT] -> (HOST, PORT), for a HOST on loopback only."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"expected mqtt://HOST:PORT, got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"expected mqtt://HOST:PORT with nothing after it, got {url!r}")
    try:
        port = parts.port or 1883
        address = socket.getaddrinfo(parts.hostname, port)[0][4][0]
    except (ValueError, socket.gaierror) as error:
        raise ValueError(f"{url}: {error}") from None
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"{url}: the broker must be on a loopback address")
    return parts.hostname, port


class Forwarder:
    """One MQTT connection to the registered broker, made on first use."""

    _ids = itertools.count(1)

    def __init__(self, url: str):
        self.url = url
        self.host, self.port = _loopback_address(url)
        self._client: mqtt.Client | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected()

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        kept = self._client is not None and self._client.is_connected()
        try:
            self._send(topic, payload, qos, retain)
            return
        except _Failure as failure:
            self.close()
            if not kept:
                raise InternalFailureException(self._failed(failure)) from None
        # The connection kept from earlier publishes broke (a restarted broker,
        # say): one more try on a fresh one.
        try:
            self._send(topic, payload, qos, retain)
        except _Failure as failure:
            self.close()
            raise InternalFailureException(self._failed(failure)) from None

    def _failed(self, failure: _Failure) -> str:
        return f"Could not deliver the message to the MQTT broker at {self.url}: {failure}"

    def _send(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        client = self._connection()
        try:
            message = client.publish(topic, payload, qos=qos, retain=retain)
            # QoS 1: until the broker's PUBACK; QoS 0: until written to the socket.
            message.wait_for_publish(TIMEOUT_SECONDS)
        except (RuntimeError, ValueError) as error:  # paho's "not connected", "queue full"
            raise _Failure(str(error)) from None
        if not message.is_published():
            raise _Failure(f"not acknowledged within {TIMEOUT_SECONDS:g} s")

    def _connection(self) -> mqtt.Client:
        if self._client is not None and not self._client.is_connected():
            self.close()  # lost since the last publish: replaced, not waited for
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> mqtt.Client:
        # A client id of its own per connection: a broker drops the older of
        # two connections with the same id, and two emulators may share one.
        client_id = f"fleet-emulator-{os.getpid()}-{next(self._ids)}"
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        client.connect_timeout = TIMEOUT_SECONDS
        acknowledged = threading.Event()
        answer: list[Any] = []

        def on_connect(client, userdata, flags, reason_code, properties):
            answer.append(reason_code)
            acknowledged.set()

        client.on_connect = on_connect
        try:
            client.connect(self.host, self.port, keepalive=30)
        except OSError as error:
            raise _Failure(error.strerror or str(error)) from None
        client.loop_start()  # a network thread: keepalive pings, acknowledgements
        if not acknowledged.wait(TIMEOUT_SECONDS) or answer[0].is_failure:
            reason = f"refused: {answer[0]}" if answer else "no CONNACK"
            _stop(client)
            raise _Failure(f"connection {reason}")
        return client

    def close(self) -> None:
        if self._client is not None:
            _stop(self._client)
            self._client = None


def _stop(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


# --- registration --------------------------------------------------------------

_forwarder: Forwarder | None = None


def register(url: str) -> None:
    """Forward to the broker at url from now on (ValueError for a bad url)."""
    global _forwarder
    forwarder = Forwarder(url)  # validates before the old one goes
    unregister()
    _forwarder = forwarder


def unregister() -> None:
    global _forwarder
    if _forwarder is not None:
        _forwarder.close()
        _forwarder = None


def registration() -> dict[str, Any]:
    if _forwarder is None:
        return {"url": None, "connected": False}
    return {"url": _forwarder.url, "connected": _forwarder.connected}


def routes(app: Any) -> Any:
    """A WSGI app serving /_fleet/broker itself and everything else through app."""

    def handle(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == ROUTE:
            return _registration_route(Request(environ))(environ, start_response)
        if _publish_request(environ):
            # A Publish's body is its payload, raw bytes whatever its label; moto
            # would read one labelled as a form (curl -d does that) as a form,
            # losing the payload and the query string.
            environ["CONTENT_TYPE"] = "application/octet-stream"
        return app(environ, start_response)

    return handle


def _unsigned(environ: dict[str, Any]) -> bool:
    return "HTTP_AUTHORIZATION" not in environ and "X-Amz-Credential" not in environ.get(
        "QUERY_STRING", ""
    )


def _publish_request(environ: dict[str, Any]) -> bool:
    """POST /topics/...: signed for the IoT data plane, or not signed at all
    (a path-style S3 request for a bucket named "topics" is signed for s3)."""
    if environ.get("REQUEST_METHOD") != "POST":
        return False
    if not environ.get("PATH_INFO", "").startswith("/topics/"):
        return False
    return _unsigned(environ) or "/iotdata/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")


def _registration_route(request: Request) -> Response:
    if request.method == "GET":
        return _json(200, registration())
    if request.method == "DELETE":
        unregister()
        return _json(200, registration())
    if request.method != "POST":
        return _json(405, {"message": f"{request.method} {ROUTE}: use GET, POST or DELETE"})
    try:
        url = json.loads(request.get_data())["url"]
        if not isinstance(url, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _json(400, {"message": 'expected a JSON body {"url": "mqtt://127.0.0.1:PORT"}'})
    try:
        register(url)
    except ValueError as error:
        return _json(400, {"message": str(error)})
    return _json(200, registration())


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


# --- the data plane --------------------------------------------------------------------


def _topic(response: IoTDataPlaneResponse) -> str:
    # response.path is the path as sent, percent-encoded: boto3 sends the '/'
    # inside a topic as %2F.
    topic = unquote(response.path.partition("/topics/")[2])
    if not topic or "+" in topic or "#" in topic:
        # MQTT's rule for a topic published to; AWS IoT refuses them too.
        raise InvalidRequestException(f"invalid topic to publish to: {topic!r}")
    return topic


def _qos(response: IoTDataPlaneResponse) -> int:
    value = response.querystring.get("qos", ["0"])[0]
    if value not in ("0", "1"):
        raise InvalidRequestException(f"qos must be 0 or 1, got {value}")
    return int(value)


def _publish(original, response):
    topic, qos = _topic(response), _qos(response)
    if _forwarder is not None:
        retain = response.querystring.get("retain", ["false"])[0].lower() == "true"
        _forwarder.publish(topic, response.body or b"", qos, retain)
    return original(response)


def _infer_service_region_host(original, dispatcher, environ, path):
    if _unsigned(environ) and _publish_request(environ):
        return f"data.iot.{_UNSIGNED_REGION}.amazonaws.com"
    return original(dispatcher, environ, path)


def _describe_endpoint(original, backend, endpoint_type):
    endpoint = original(backend, endpoint_type)  # validates the type
    # AWS gives an account one identifier per region; moto a random one per call.
    stable = hashlib.sha256(f"{backend.account_id}/{backend.region_name}".encode()).hexdigest()
    first, rest = endpoint.endpoint.split(".", 1)
    endpoint.endpoint = f"{stable[:14]}{'-ats' if first.endswith('-ats') else ''}.{rest}"
    return endpoint


def install() -> None:
    _wraps(IoTDataPlaneResponse, "publish")(_publish)
    _wraps(DomainDispatcherApplication, "infer_service_region_host")(_infer_service_region_host)
    _wraps(IoTBackend, "describe_endpoint")(_describe_endpoint)
