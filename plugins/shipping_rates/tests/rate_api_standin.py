"""A stand-in carrier rate API for the plugin's tests: a Quart app served on
127.0.0.1 answering ``POST /rates`` in the shape documented in
``shopwright_shipping_rates.carrier``.

Levers: ``rates`` (what it answers), ``status`` and ``raw`` (answer that
status, or those bytes, instead), ``stall`` (set: requests wait until
``release`` is set). It records ``calls``, the last ``body`` and the last
``authorization`` header, and ``peers``: the client address (host, port)
of each call, so a test sees whether calls shared a kept-alive connection.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from quart import Quart, Response, request

API_KEY = "ck_test_123"


def rate(service: str = "parcel", amount: str = "5.90", currency: str = "EUR", **extra: Any) -> dict[str, Any]:
    """One rate of the answer, valid for ten minutes unless ``extra`` says otherwise."""
    expires = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
    return {"id": f"rt-{service}", "service": service, "label": service.title(), "amount": amount,
            "currency": currency, "estimated_days": [1, 3], "expires_at": expires, **extra}


class CarrierStandIn:
    def __init__(self) -> None:
        self.rates: list[dict[str, Any]] = [rate()]
        self.status = 200
        self.raw: bytes | None = None
        self.calls = 0
        self.body: dict[str, Any] | None = None
        self.authorization: str | None = None
        self.peers: list[tuple[str, int]] = []
        self.stall = asyncio.Event()
        self.release = asyncio.Event()
        self.url = ""
        self.app = Quart("carrier_standin")
        self.app.add_url_rule("/rates", view_func=self._rates, methods=["POST"])
        self.app.add_url_rule("/healthz", view_func=lambda: "ok")   # served() waits for it

    async def _rates(self) -> Response:
        self.calls += 1
        self.peers.append(tuple(request.scope.get("client") or ("", 0)))
        self.body = await request.get_json()
        self.authorization = request.headers.get("Authorization")
        if self.stall.is_set():
            await self.release.wait()
        if self.authorization != f"Bearer {API_KEY}":
            return Response(json.dumps({"error": "unauthorized"}), 401, content_type="application/json")
        body = self.raw if self.raw is not None else json.dumps({"rates": self.rates}).encode()
        return Response(body, self.status, content_type="application/json")
