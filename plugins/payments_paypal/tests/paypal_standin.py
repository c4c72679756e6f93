"""A stand-in PayPal REST server for the plugin's tests, served by Hypercorn
on 127.0.0.1 (``engine.testing.checkout.served``).

It follows PayPal's documented API for what the plugin uses:

- ``POST /v1/oauth2/token`` (HTTP Basic client id / secret,
  ``grant_type=client_credentials``) → ``access_token``, ``expires_in``;
  every other call needs ``Authorization: Bearer`` with a token that has not
  expired on the stand-in's clock (``now``, moved by tests with ``advance``),
  else 401 ``invalid_token``.
- Orders v2: ``POST /v2/checkout/orders`` (answer ``PAYER_ACTION_REQUIRED``
  with a ``payer-action`` link to the approval page), ``GET
  /v2/checkout/orders/{id}``, ``POST …/{id}/capture`` and ``…/{id}/authorize``
  (422 ``ORDER_NOT_APPROVED`` before approval, ``INSTRUMENT_DECLINED`` for a
  buyer marked declined, ``ORDER_ALREADY_CAPTURED`` /
  ``ORDER_ALREADY_AUTHORIZED`` when done).
- Payments v2: ``POST /v2/payments/authorizations/{id}/capture`` and
  ``…/void``; ``GET /v2/payments/captures/{id}``; ``POST
  /v2/payments/captures/{id}/refund`` (422 ``REFUND_AMOUNT_EXCEEDED``).
- ``PayPal-Request-Id`` on a create: the same id on the same endpoint answers
  the first result again (nothing is created twice); ``requests`` counts
  the creates that did something.
- ``POST /v1/notifications/verify-webhook-signature`` → ``SUCCESS`` when the
  transmission signature matches (:func:`sign_webhook`: an HMAC standing in
  for PayPal's certificate signature over ``id|time|webhook_id|digest``) and
  the webhook id is the registered one, else ``FAILURE``.
- The buyer's side: ``GET /checkoutnow?token=<order>`` is the approval page
  with "Pay Now" and "Cancel and return"; approving redirects to the order's
  ``return_url`` with ``token`` and ``PayerID`` appended, cancelling to its
  ``cancel_url`` with ``token``, as PayPal does.

Failure modes, for the next ``times`` calls whose path contains
``path_part``: ``fail(path_part, 503)`` answers that status without doing
anything (PayPal down); ``fail(path_part, "lose")`` does the work and then
answers 500 (the answer lost on the way); ``fail(path_part, "hold")`` waits
for ``release`` to be set before doing it (PayPal slower than the shop
waits). ``declines`` marks the next approvals as declined instruments.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import urlencode

from quart import Quart, g, redirect, request

CLIENT_ID = "AbC-standin-client"
CLIENT_SECRET = "EFg-standin-secret"
WEBHOOK_ID = "8PT597110X687430LKGECATA"
SIGNING_KEY = b"standin-paypal-cert-key"
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"


def canonical(event: Any) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def signature(transmission_id: str, transmission_time: str, webhook_id: str, event: Any) -> str:
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{hashlib.sha256(canonical(event)).hexdigest()}"
    return base64.b64encode(hmac.new(SIGNING_KEY, message.encode(), hashlib.sha256).digest()).decode()


_transmissions = itertools.count(1)


def sign_webhook(event: dict[str, Any], webhook_id: str = WEBHOOK_ID, cert_url: str = CERT_URL,
                 forged: bool = False) -> tuple[bytes, dict[str, str]]:
    """A webhook body and the headers PayPal sends with it."""
    transmission_id = f"69cd13f0-{next(_transmissions):04d}-11e8-b7ee-5fe3e8a0ea8f"
    when = "2026-12-06T17:00:00Z"
    sig = signature(transmission_id, when, webhook_id, event)
    if forged:
        sig = base64.b64encode(b"not-the-signature").decode()
    return json.dumps(event).encode(), {
        "Content-Type": "application/json", "PAYPAL-AUTH-ALGO": "SHA256withRSA", "PAYPAL-CERT-URL": cert_url,
        "PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-SIG": sig,
        "PAYPAL-TRANSMISSION-TIME": when}


def webhook_event(event_type: str, resource: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or f"WH-{next(_transmissions):04d}-{event_type.replace('.', '-')}",
            "event_version": "1.0", "create_time": "2026-12-06T17:00:00Z", "resource_type": "capture",
            "event_type": event_type, "summary": event_type, "resource": resource}


def _value(amount: dict[str, str]) -> Decimal:
    return Decimal(amount["value"])


class StandinPayPal:
    """The stand-in's state and its Quart app (``app``); ``url`` is set once served."""

    def __init__(self, token_lifetime: int = 32400) -> None:
        self.url = ""
        self.now = 0.0
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.authorizations: dict[str, dict[str, Any]] = {}
        self.captures: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.replies: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.failures: list[list[Any]] = []
        self.declines = 0
        self.release = asyncio.Event()
        self.calls: list[tuple[str, str, str | None]] = []
        self.verifications: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.app = self._build()

    # ------------------------------------------------------------ test controls
    def advance(self, seconds: float) -> None:
        self.now += seconds

    def fail(self, path_part: str, mode: int | str, times: int = 1) -> None:
        self.failures.append([path_part, mode, times])

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}STANDIN"

    # ------------------------------------------------------------ app
    def _build(self) -> Quart:
        app = Quart("standin_paypal")
        me = self

        def problem(status: int, name: str, issue: str = "", message: str = "") -> tuple[dict, int]:
            body: dict[str, Any] = {"name": name, "message": message or name, "debug_id": "f00d"}
            if issue:
                body["details"] = [{"issue": issue, "description": issue}]
            return body, status

        @app.before_request
        async def gate():
            path = request.path
            me.calls.append((request.method, path, request.headers.get("PayPal-Request-Id")))
            for failure in me.failures:
                if failure[0] in path and failure[2] > 0:
                    failure[2] -= 1
                    if failure[1] == "lose":
                        g.lose = True
                    elif failure[1] == "hold":
                        await me.release.wait()
                    else:
                        return problem(failure[1], "INTERNAL_SERVER_ERROR" if failure[1] >= 500 else "FAILURE")
                    break
            if path in ("/healthz", "/v1/oauth2/token", "/favicon.ico") or path.startswith("/checkoutnow"):
                return None
            auth = request.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            if not auth.startswith("Bearer ") or me.tokens.get(token, -1) <= me.now:
                return {"error": "invalid_token", "error_description": "Token signature verification failed"}, 401
            return None

        @app.after_request
        async def lose(response):
            if g.get("lose"):
                body, status = problem(500, "INTERNAL_SERVER_ERROR")
                return app.response_class(json.dumps(body), status=status, content_type="application/json")
            return response

        @app.get("/favicon.ico")
        async def favicon():
            return "", 204

        @app.get("/healthz")
        async def healthz():
            return {"ok": True}

        @app.post("/v1/oauth2/token")
        async def token():
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            form = await request.form
            if request.headers.get("Authorization") != expected or form.get("grant_type") != "client_credentials":
                return {"error": "invalid_client", "error_description": "Client Authentication failed"}, 401
            value = me._id("A21AA")
            me.tokens[value] = me.now + me.token_lifetime
            return {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": value,
                    "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": me.token_lifetime,
                    "nonce": value}

        def replayed(kind: str) -> tuple[dict, int] | None:
            request_id = request.headers.get("PayPal-Request-Id")
            if request_id and (kind, request_id) in me.replies:
                status, body = me.replies[(kind, request_id)]
                return body, status
            return None

        def remember(kind: str, body: dict[str, Any], status: int) -> tuple[dict, int]:
            request_id = request.headers.get("PayPal-Request-Id")
            me.requests.append((kind, request_id))
            if request_id:
                me.replies[(kind, request_id)] = (status, body)
            return body, status

        @app.post("/v2/checkout/orders")
        async def create_order():
            if (again := replayed("create")) is not None:
                return again
            body = await request.get_json()
            unit = body["purchase_units"][0]
            context = (((body.get("payment_source") or {}).get("paypal") or {}).get("experience_context") or {})
            order_id = me._id("5O19")
            me.orders[order_id] = {
                "id": order_id, "intent": body["intent"], "status": "PAYER_ACTION_REQUIRED",
                "purchase_units": [{**unit, "payments": {}}], "experience": context,
                "links": [{"href": f"{me.url}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
                          {"href": f"{me.url}/checkoutnow?token={order_id}", "rel": "payer-action",
                           "method": "GET"}]}
            return remember("create", me.orders[order_id], 200)

        @app.get("/v2/checkout/orders/<order_id>")
        async def get_order(order_id: str):
            if order_id not in me.orders:
                return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
            return me.orders[order_id]

        async def finish(order_id: str, action: str):
            kind = f"{action}:{order_id}"
            if (again := replayed(kind)) is not None:
                return again
            order = me.orders.get(order_id)
            if order is None:
                return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
            if order["status"] == "COMPLETED":
                return problem(422, "UNPROCESSABLE_ENTITY",
                               "ORDER_ALREADY_CAPTURED" if action == "capture" else "ORDER_ALREADY_AUTHORIZED")
            if order["status"] != "APPROVED":
                return problem(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED")
            if order.get("declined"):
                return problem(422, "UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED",
                               "The instrument presented was either declined by the processor or bank")
            unit = order["purchase_units"][0]
            amount = dict(unit["amount"])
            related = {"related_ids": {"order_id": order_id}}
            if action == "capture":
                capture = {"id": me._id("3C6"), "status": "COMPLETED", "amount": amount, "final_capture": True,
                           "custom_id": unit.get("custom_id"), "supplementary_data": related, "refunded": "0"}
                me.captures[capture["id"]] = capture
                unit["payments"] = {"captures": [capture]}
            else:
                auth = {"id": me._id("0VF"), "status": "CREATED", "amount": amount,
                        "custom_id": unit.get("custom_id"), "supplementary_data": related}
                me.authorizations[auth["id"]] = auth
                unit["payments"] = {"authorizations": [auth]}
            order["status"] = "COMPLETED"
            return remember(kind, order, 201)

        @app.post("/v2/checkout/orders/<order_id>/capture")
        async def capture_order(order_id: str):
            return await finish(order_id, "capture")

        @app.post("/v2/checkout/orders/<order_id>/authorize")
        async def authorize_order(order_id: str):
            return await finish(order_id, "authorize")

        @app.post("/v2/payments/authorizations/<auth_id>/capture")
        async def capture_authorization(auth_id: str):
            kind = f"auth-capture:{auth_id}"
            if (again := replayed(kind)) is not None:
                return again
            auth = me.authorizations.get(auth_id)
            if auth is None:
                return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
            if auth["status"] not in ("CREATED", "PARTIALLY_CAPTURED"):
                return problem(422, "UNPROCESSABLE_ENTITY", "AUTHORIZATION_ALREADY_CAPTURED"
                               if auth["status"] == "CAPTURED" else "AUTHORIZATION_VOIDED")
            body = await request.get_json(silent=True) or {}
            amount = body.get("amount") or auth["amount"]
            if _value(amount) > _value(auth["amount"]):
                return problem(422, "UNPROCESSABLE_ENTITY", "MAX_CAPTURE_AMOUNT_EXCEEDED")
            order_id = auth["supplementary_data"]["related_ids"]["order_id"]
            capture = {"id": me._id("7TK"), "status": "COMPLETED", "amount": dict(amount), "final_capture": True,
                       "custom_id": auth.get("custom_id"), "refunded": "0",
                       "supplementary_data": {"related_ids": {"order_id": order_id, "authorization_id": auth_id}}}
            me.captures[capture["id"]] = capture
            auth["status"] = "CAPTURED"
            me.orders[order_id]["purchase_units"][0]["payments"].setdefault("captures", []).append(capture)
            return remember(kind, capture, 201)

        @app.post("/v2/payments/authorizations/<auth_id>/void")
        async def void_authorization(auth_id: str):
            auth = me.authorizations.get(auth_id)
            if auth is None:
                return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
            if auth["status"] == "CAPTURED":
                return problem(422, "UNPROCESSABLE_ENTITY", "PREVIOUSLY_CAPTURED")
            auth["status"] = "VOIDED"
            me.requests.append((f"void:{auth_id}", request.headers.get("PayPal-Request-Id")))
            return auth, 200

        @app.get("/v2/payments/captures/<capture_id>")
        async def get_capture(capture_id: str):
            if capture_id not in me.captures:
                return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
            return me.captures[capture_id]

        @app.post("/v2/payments/captures/<capture_id>/refund")
        async def refund_capture(capture_id: str):
            kind = f"refund:{capture_id}"
            if (again := replayed(kind)) is not None:
                return again
            capture = me.captures.get(capture_id)
            if capture is None:
                return problem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
            body = await request.get_json(silent=True) or {}
            left = _value(capture["amount"]) - Decimal(capture["refunded"])
            amount = body.get("amount") or {"value": str(left), "currency_code": capture["amount"]["currency_code"]}
            if _value(amount) > left:
                return problem(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED")
            capture["refunded"] = str(Decimal(capture["refunded"]) + _value(amount))
            capture["status"] = "REFUNDED" if _value(amount) == left else "PARTIALLY_REFUNDED"
            refund = {"id": me._id("1JU"), "status": "COMPLETED", "amount": dict(amount),
                      "custom_id": body.get("custom_id"),
                      "links": [{"href": f"{me.url}/v2/payments/captures/{capture_id}", "rel": "up",
                                 "method": "GET"}]}
            me.refunds[refund["id"]] = refund
            return remember(kind, refund, 201)

        @app.post("/v1/notifications/verify-webhook-signature")
        async def verify():
            body = await request.get_json()
            me.verifications.append(body)
            expected = signature(body.get("transmission_id", ""), body.get("transmission_time", ""),
                                 WEBHOOK_ID, body.get("webhook_event"))
            ok = (body.get("webhook_id") == WEBHOOK_ID and body.get("auth_algo") == "SHA256withRSA"
                  and hmac.compare_digest(str(body.get("transmission_sig", "")), expected))
            return {"verification_status": "SUCCESS" if ok else "FAILURE"}

        @app.get("/checkoutnow")
        async def approval_page():
            order = me.orders.get(request.args.get("token", ""))
            if order is None:
                return "Unknown order", 404
            amount = order["purchase_units"][0]["amount"]
            brand = escape(order["experience"].get("brand_name") or "the merchant")
            return (f"<!doctype html><html lang=en><title>PayPal (stand-in)</title>"
                    f"<h1>Pay {escape(amount['value'])} {escape(amount['currency_code'])} to {brand}</h1>"
                    f"<form method=post action='/checkoutnow/approve?token={order['id']}'>"
                    f"<button>Pay Now</button></form>"
                    f"<form method=post action='/checkoutnow/cancel?token={order['id']}'>"
                    f"<button>Cancel and return to store</button></form></html>")

        @app.post("/checkoutnow/approve")
        async def approve():
            order = me.orders[request.args["token"]]
            return redirect(me.approve(order["id"]), 302)

        @app.post("/checkoutnow/cancel")
        async def cancel():
            order = me.orders[request.args["token"]]
            url = order["experience"]["cancel_url"]
            return redirect(f"{url}{'&' if '?' in url else '?'}{urlencode({'token': order['id']})}", 302)

        return app

    def approve(self, order_id: str) -> str:
        """The buyer approves on PayPal; returns where PayPal sends them."""
        order = self.orders[order_id]
        order["status"] = "APPROVED"
        order["payer"] = {"payer_id": "QYR5Z8XDVJNXQ", "email_address": "buyer@example.test"}
        if self.declines:
            self.declines -= 1
            order["declined"] = True
        url = order["experience"]["return_url"]
        return f"{url}{'&' if '?' in url else '?'}{urlencode({'token': order_id, 'PayerID': 'QYR5Z8XDVJNXQ'})}"
