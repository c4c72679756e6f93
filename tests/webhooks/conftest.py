"""Webhook test fixtures: a real HTTP receiver on 127.0.0.1 that can be down
(connection refused, or 503) and an admin API token."""
from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field

import pytest

from engine.accounts.staff import create_token
from engine.testing import wait_until


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["shopwright-event-id"]


class Receiver:
    """A minimal HTTP/1.1 server (``asyncio.start_server``). ``fail_next`` requests
    are answered with ``fail_status``; while stopped, connections are refused.
    Every request is recorded with the status it got."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.requests: list[Received] = []
        self.fail_next = 0
        self.fail_status = 503
        self.always_fail = False
        self._server: asyncio.AbstractServer | None = None
        self.changed = asyncio.Event()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            if self.always_fail or self.fail_next > 0:
                self.fail_next = max(self.fail_next - 1, 0)
                status, reason = self.fail_status, "Failing"
            else:
                status, reason = 200, "OK"
            self.requests.append(Received(headers, body, status))
            self.changed.set()
            payload = b'{"ok": true}' if status == 200 else b"down"
            writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(payload)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + payload)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def delivered(self) -> list[Received]:
        """Requests answered 2xx, in arrival order."""
        return [r for r in self.requests if r.status == 200]


@pytest.fixture
async def receiver():
    server = Receiver()
    yield server
    await server.stop()


@pytest.fixture
def admin_token():
    """``await admin_token("plugins:write,catalog:write")`` → a bearer header dict."""

    async def make(scopes: str = "all") -> dict[str, str]:
        token, _ = await create_token("webhook tests", scopes.split(","))
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def wait():
    """``await wait(condition, timeout=30.0, interval=0.05)``: :func:`engine.testing.wait_until`."""
    return wait_until
