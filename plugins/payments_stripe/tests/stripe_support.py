"""Helpers of the Stripe plugin's tests: a running ``localstripe`` (a
third-party fake Stripe server from PyPI) driven as the shopper's browser and
the card network would, Stripe-signed webhook bodies, and waiting on a
condition. The fixtures are in ``conftest.py``.

localstripe keeps its state in one fixed file under the temp folder, so the
tests that start one hold an exclusive lock (``LOCK``) while it runs: one
instance at a time on the machine, whoever runs the tests. Without the
package (or with it failing to start) those tests are skipped, unless
``SHOPWRIGHT_REQUIRE_SERVICES=1``.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
from pathlib import Path
from typing import Any, Self

import httpx

from engine.testing.checkout import free_port

LOCK = Path(os.environ.get("TMPDIR", "/tmp")) / "shopwright-localstripe.lock"
SECRET_KEY = "sk_test_shopwright"
PUBLISHABLE_KEY = "pk_test_shopwright"
WEBHOOK_SECRET = "whsec_shopwright_test"
PLUGIN = "payments_stripe"


class LocalStripe:
    """A running localstripe: ``url``, and helpers that act as the shopper's
    browser and the card network (what Stripe.js would send)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(base_url=url, auth=(SECRET_KEY, ""), timeout=10)

    async def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(path, data=data)
        return response.json()

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        return (await self.http.get(path, params=params)).json()

    async def card(self, number: str) -> str:
        """A card PaymentMethod, as Stripe.js creates it from the Card Element."""
        method = await self.post("/v1/payment_methods", {"type": "card", "card[number]": number,
                                                         "card[exp_month]": "12", "card[exp_year]": "2034",
                                                         "card[cvc]": "123"})
        return method["id"]

    async def pay(self, intent: str, number: str = "4242424242424242") -> dict[str, Any]:
        """Attach a card to the intent and confirm it (Stripe.js's confirmCardPayment)."""
        await self.post(f"/v1/payment_intents/{intent}", {"payment_method": await self.card(number)})
        return await self.post(f"/v1/payment_intents/{intent}/confirm", {})

    async def authenticate(self, intent: str, client_secret: str, success: bool = True) -> dict[str, Any]:
        """The shopper's answer to the 3-D Secure step."""
        response = await self.http.post(f"/v1/payment_intents/{intent}/_authenticate",
                                        params={"success": "true" if success else "false"},
                                        json={"key": PUBLISHABLE_KEY, "client_secret": client_secret})
        return response.json()

    async def register_webhook(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        response = await self.http.post(f"/_config/webhooks/wh_{os.getpid()}_{free_port()}",
                                        data={"url": url, "secret": secret})
        assert response.status_code == 200, response.text


def sign(payload: dict[str, Any], secret: str = WEBHOOK_SECRET, timestamp: int | None = None,
         extra_signatures: tuple[str, ...] = ()) -> tuple[bytes, dict[str, str]]:
    """A webhook body and its ``Stripe-Signature`` header, as Stripe signs
    them (``t=<timestamp>,v1=<HMAC-SHA256 of "<t>.<body>">``, more ``v1``
    entries while a secret is rotated)."""
    body = json.dumps(payload).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    header = ",".join([f"t={stamp}", *(f"v1={s}" for s in extra_signatures), f"v1={mac}"])
    return body, {"Stripe-Signature": header, "Content-Type": "application/json"}


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or f"evt_test_{free_port()}_{kind}", "object": "event", "type": kind,
            "created": int(time.time()), "data": {"object": obj}}


async def wait_listening(url: str, process: Any) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        deadline = asyncio.get_running_loop().time() + 20
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"localstripe exited with {process.returncode}")
            try:
                if (await client.get("/js.stripe.com/v3/")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("localstripe did not start listening within 20 s")
            await asyncio.sleep(0.05)


def stripe_settings(api_base: str, js_base: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {"publishable_key": PUBLISHABLE_KEY, "secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET,
            "api_base": api_base, "js_url": f"{js_base or api_base}/js.stripe.com/v3/", **overrides}


async def wait_for(condition, what: str, timeout: float = 15.0) -> Any:
    """Wait until ``await condition()`` is truthy (a condition, not a sleep);
    fail naming ``what`` after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class FlakyStripe:
    """A stand-in in front of localstripe that fails the calls it is told to,
    then answers: ``plan("POST", "/v1/refunds", "lose_answer", ...)`` sets
    what the next matching calls meet —

    - ``down``: 503 without reaching Stripe (the provider is down);
    - ``lose_answer``: Stripe does it, the answer is lost (a 502 instead);
    - ``hold``: Stripe does it, the answer waits for :attr:`release`.

    Like Stripe, it answers a repeated ``Idempotency-Key`` with the first
    answer Stripe gave (localstripe itself ignores the header), and refuses
    (409) a request whose key is still in progress, so a retry with the same
    key never does anything twice. ``calls`` lists
    ``(method, path, key)`` of every request."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.plans: list[tuple[str, str, list[str]]] = []
        self.replies: dict[str, tuple[int, bytes]] = {}
        self.calls: list[tuple[str, str, str | None]] = []
        self.in_flight: set[str] = set()
        self.release = asyncio.Event()
        self.url = ""

    def plan(self, method: str, prefix: str, *behaviours: str) -> None:
        self.plans.append((method, prefix, list(behaviours)))

    def _next(self, method: str, path: str) -> str | None:
        for wanted, prefix, behaviours in self.plans:
            if wanted == method and path.startswith(prefix) and behaviours:
                return behaviours.pop(0)
        return None

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        body = await request.read()
        key = request.headers.get("Idempotency-Key")
        self.calls.append((request.method, request.path, key))
        if key and key in self.replies:
            status, content = self.replies[key]
            return web.Response(status=status, body=content, content_type="application/json")
        if key and key in self.in_flight:  # Stripe: a concurrent request with the same key is refused
            return web.json_response({"error": {"type": "idempotency_error",
                                                "message": "stand-in: a request with this key is in progress"}},
                                     status=409)
        behaviour = self._next(request.method, request.path)
        if behaviour == "down":
            return web.json_response({"error": {"type": "api_error", "message": "stand-in: down"}}, status=503)
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() in ("authorization", "content-type", "idempotency-key", "stripe-version")}
        if key:
            self.in_flight.add(key)
        try:
            async with httpx.AsyncClient(base_url=self.upstream, timeout=10) as client:
                answer = await client.request(request.method, request.path_qs, content=body, headers=headers)
        finally:
            self.in_flight.discard(key)
        if key and answer.status_code < 500:
            self.replies[key] = (answer.status_code, answer.content)
        if behaviour == "lose_answer":
            return web.json_response({"error": {"type": "api_error", "message": "stand-in: answer lost"}}, status=502)
        if behaviour == "hold":
            await self.release.wait()
        return web.Response(status=answer.status_code, body=answer.content, content_type="application/json")

    async def __aenter__(self) -> Self:
        from aiohttp import web

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        await self._runner.cleanup()
