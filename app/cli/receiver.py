"""`postback-ledger receiver`: a tiny webmaster tracker that prints the postbacks it receives.

For trying postbacks to webmasters on one machine: the demo catalog sends Traffic Co's (wm-1)
postbacks to http://127.0.0.1:9000/postback, and this prints each one (method, path and query,
body) and answers 200. It is a demo, not a tracker: nothing is kept. It stops on Ctrl-C, on
SIGTERM or SIGHUP, and when the shell that started it in the background is gone (its parent
process changes), so it is never left listening.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.cli.output import CommandError

_PARENT_POLL_SECONDS = 0.5


def register(commands) -> None:
    receiver = commands.add_parser(
        "receiver",
        help="print the webmaster postbacks sent to this machine (a demo tracker)",
        description="Listen on --host:--port and print every request a webmaster postback "
        "makes (the demo catalog's wm-1 target is http://127.0.0.1:9000/postback); answers 200. "
        "The server sends to a loopback address only with LEDGER_DELIVERY_ALLOW=127.0.0.1/32. "
        "Stops on Ctrl-C and when its parent shell ends.",
    )
    receiver.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    receiver.add_argument("--port", type=int, default=9000, help="port (default 9000)")
    receiver.set_defaults(handler=run_receiver)


class _Printing(BaseHTTPRequestHandler):
    """Prints each request on one line (and its body on the next) and answers 200 ok."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{when} {self.command} {self.path}", flush=True)
        if body:
            print(f"    {body}", flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args) -> None:  # the line above says it all
        pass


def run_receiver(args) -> int:
    try:
        server = ThreadingHTTPServer((args.host, args.port), _Printing)
    except OSError as error:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    server.daemon_threads = True
    # Ctrl-C stops it even when started where SIGINT is ignored (a background job of a script
    # inherits SIG_IGN, and Python then leaves it so): seen as a receiver deaf to Ctrl-C in CI.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: threading.Thread(target=server.shutdown).start())
    _stop_when_orphaned(server)
    print(f"receiving postbacks on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("receiver stopped", file=sys.stderr, flush=True)
    return 0


def _stop_when_orphaned(server: ThreadingHTTPServer) -> None:
    """A receiver started with `&` ends when the shell that started it does."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(_PARENT_POLL_SECONDS)
        server.shutdown()

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
