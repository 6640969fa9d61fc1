"""`python -m fleet_emulator --port 0 [--host 127.0.0.1] [--stack-seconds N]`: run the emulator.

Serves every moto service on one loopback port, with fleet's extensions
loaded first, and /_fleet/broker (see broker.py). Port 0 picks a free port.
Once the socket is listening, exactly one line goes to stdout,
`fleet-emulator listening on http://HOST:PORT`, which is how emulator/start
and the tests learn the URL; request logs go to stderr.
SIGTERM and SIGINT stop it cleanly (exit status 0).

--stack-seconds N makes every stack operation report *_IN_PROGRESS for N
seconds before its final status (see progress.py); 0, the default, finishes
them at once as moto does.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import socket
import sys
import threading


def _loopback(host: str) -> str:
    # The emulator has no authentication: it must never listen beyond this machine.
    try:
        address = socket.getaddrinfo(host, None)[0][4][0]
    except socket.gaierror as error:
        raise argparse.ArgumentTypeError(f"cannot resolve {host}: {error}") from None
    if not ipaddress.ip_address(address).is_loopback:
        raise argparse.ArgumentTypeError(f"{host} is not a loopback address")
    return host


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text}") from None
    if not 0 <= seconds <= 86400:  # (also refuses nan)
        raise argparse.ArgumentTypeError(f"must be from 0 to 86400: {text}")
    return seconds


def _serialized(app):
    """Handles one request at a time.

    moto's backends are plain dicts without locks: a stack creating things
    while another request lists them fails with "mutated during iteration".
    AWS serves parallel calls, and fleet makes them (shards deploy in
    parallel), so the emulator takes them in turn instead. The body is read
    inside the lock because a WSGI app may produce it lazily.
    """
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fleet_emulator", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--host", type=_loopback, default="127.0.0.1", help="loopback address to bind"
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--stack-seconds",
        type=_seconds,
        default=0.0,
        metavar="N",
        help="how long each stack operation stays in progress (default 0: done at once)",
    )
    args = parser.parse_args(argv)

    from . import broker, install, progress

    install()  # before the server exists, so no request sees plain moto
    progress.configure(args.stack_seconds)

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    # /_fleet/broker inside the lock too: it changes what Publish uses.
    app = _serialized(broker.routes(DomainDispatcherApplication(create_backend_app)))
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    host, port = server.server_address[:2]
    # moto builds some URLs it hands out (SQS queue URLs, ...) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)

    def stop(signum: int, frame: object) -> None:
        # shutdown() waits for serve_forever() to return, and serve_forever runs
        # in this (the main) thread, so it must be called from another one.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    shown = f"[{host}]" if ":" in host else host
    print(f"fleet-emulator listening on http://{shown}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)  # how soon a shutdown request is seen
    finally:
        server.server_close()
        broker.unregister()  # a clean MQTT DISCONNECT for a registered broker
    return 0


if __name__ == "__main__":
    sys.exit(main())
