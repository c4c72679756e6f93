"""A stand-in carrier for the tests: a real HTTP server on 127.0.0.1 with a
rate endpoint in the style of carrier rate APIs (``POST /v1/rates`` with the
destination and parcel weight, answering rates with an id and a validity),
and the provider that asks it.

Levers: ``calls`` (how many rate requests arrived), ``expires_in`` (the
seconds a rate is valid for), ``stall`` (set: requests wait for ``release``).
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx

from engine import PluginManifest, hookimpl
from engine.money import Money
from engine.protocols import ShippingQuote, ShippingQuoteRequest


class CarrierStandIn:
    def __init__(self) -> None:
        self.calls = 0
        self.expires_in = 600
        self.stall = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with standin.lock:
                    standin.calls += 1
                if standin.stall.is_set():
                    standin.release.wait(10)
                answer = json.dumps({"rates": [{
                    "rate_id": f"rate-{standin.calls}", "service": "parcel", "name": "Parcel",
                    "amount": "5.90" if body.get("weight_grams", 0) < 5000 else "9.90", "currency": "EUR",
                    "expires_in": standin.expires_in}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class CarrierProvider:
    """A :class:`engine.protocols.ShippingRateProvider` over the stand-in's API."""

    id = "carrier"

    def __init__(self, base_url: str, deadline_seconds: float | None = None) -> None:
        self.base_url, self.deadline_seconds = base_url, deadline_seconds

    async def quotes(self, request: ShippingQuoteRequest) -> list[ShippingQuote]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            response = await client.post("/v1/rates", json={"country": request.country,
                                                            "postal_code": request.postal_code,
                                                            "weight_grams": request.weight_grams})
        response.raise_for_status()
        now = datetime.now(timezone.utc)
        return [ShippingQuote(f"carrier:{rate['service']}", rate["name"],
                              Money(int(Decimal(rate["amount"]) * 100), rate["currency"]), self.id,
                              expires_at=now + timedelta(seconds=rate["expires_in"]),
                              data={"rate_id": rate["rate_id"]})
                for rate in response.json()["rates"]]


def carrier_plugin(base_url: str, deadline_seconds: float | None = None) -> SimpleNamespace:
    """A plugin offering :class:`CarrierProvider`."""
    return SimpleNamespace(
        MANIFEST=PluginManifest(name="carrier", title="Carrier"),
        fulfillment_shipping_providers=hookimpl(lambda settings: [CarrierProvider(base_url, deadline_seconds)]))
