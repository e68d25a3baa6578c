"""A graceful stop that leaves no accepted request without an answer.

Told to stop, a granian worker closed its idle keep-alive connections at once, and closing its
listening socket reset the connections the kernel had already accepted for it: a client that had
just written a request on either got the connection closed without an answer (5 postbacks in one
SIGTERM under load). So a worker, on SIGTERM or SIGINT, first drains for `DRAIN_SECONDS`:

1. its listening sockets get a socket filter that drops every incoming packet, so the kernel
   completes no new connection (a client's SYN goes unanswered and is refused once the socket
   closes), while the connections already queued are still accepted and answered;
2. every answer carries `Connection: close`, so each client closes its connection after its
   answer instead of writing the next request on a connection about to close;

only then does granian's own stop run (stop accepting, finish what is in progress, end).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket

from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

DRAIN_SECONDS = 1.0


class Drain:
    """Whether this worker is draining; `arm` puts it before the server's own stop."""

    def __init__(self, seconds: float = DRAIN_SECONDS) -> None:
        self.seconds = seconds
        self.active = False

    def arm(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Wrap the stop handlers granian set on this loop; False when there are none."""
        handlers = getattr(loop, "_signal_handlers", {})  # asyncio's Unix loop keeps them here
        armed = False
        for signum in (signal.SIGTERM, signal.SIGINT):
            original = handlers.get(signum)
            if original is None:
                continue
            loop.add_signal_handler(signum, self._begin, loop, original)
            armed = True
        return armed

    def _begin(self, loop: asyncio.AbstractEventLoop, original: asyncio.Handle) -> None:
        if self.active:
            return
        self.active = True
        closed = close_the_door()
        log.info(
            "stopping: %d listening socket(s) take no new connection; answering with "
            "Connection: close for %.1f s first",
            closed,
            self.seconds,
        )
        loop.call_later(self.seconds, original._callback, *original._args)  # type: ignore[attr-defined]


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


_SO_ATTACH_FILTER = 26  # Linux
_DROP_EVERYTHING = 0x06  # BPF_RET | BPF_K with k = 0: keep no byte of the packet


def close_the_door() -> int:
    """Drop every packet that reaches this process's listening TCP sockets; how many got it."""
    program = (_SockFilter * 1)(_SockFilter(_DROP_EVERYTHING, 0, 0, 0))
    filter_program = bytes(_SockFprog(1, program))
    closed = 0
    for fd in _socket_fds():
        try:
            listener = socket.socket(fileno=fd)
        except OSError:
            continue
        try:
            if listener.family in (socket.AF_INET, socket.AF_INET6) and listener.getsockopt(
                socket.SOL_SOCKET, socket.SO_ACCEPTCONN
            ):
                listener.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, filter_program)
                closed += 1
        except OSError as error:
            log.warning("could not stop new connections on fd %d: %s", fd, error)
        finally:
            listener.detach()  # the socket stays granian's
    return closed


def _socket_fds() -> list[int]:
    found = []
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return found
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                found.append(int(name))
        except (OSError, ValueError):
            continue
    return found


def close_connections_when_draining(drain: Drain):
    """ASGI middleware factory: `Connection: close` on every answer while draining."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def closing(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_closing(message: Message) -> None:
                if drain.active and message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((b"connection", b"close"))
                    message["headers"] = headers  # type: ignore[typeddict-item]
                await send(message)

            await app(scope, receive, send_closing)

        return closing

    return middleware
