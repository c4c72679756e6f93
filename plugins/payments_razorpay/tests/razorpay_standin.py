"""A stand-in Razorpay for the plugin's tests, served by Hypercorn on
127.0.0.1 (``engine.testing.checkout.served``).

It follows Razorpay's documented API for what the plugin uses (HTTP Basic
auth with the key id and secret; errors as ``{"error": {"code",
"description"}}``):

- Orders: ``POST /v1/orders`` (``amount`` ≥ 100 sub-units, ``currency``,
  ``receipt`` — at most 40 characters and unique: a second order with one
  is ``BAD_REQUEST_ERROR``), ``GET /v1/orders?receipt=``, ``GET
  /v1/orders/:id``, ``GET /v1/orders/:id/payments``.
- Payments: ``GET /v1/payments/:id``; ``POST /v1/payments/:id/capture``
  (the authorized amount and currency; an already captured payment is
  ``BAD_REQUEST_ERROR`` "This payment has already been captured");
  ``POST /v1/payments/:id/refund`` (``amount``, ``notes``; more than is left
  is refused; ``X-Refund-Idempotency``: a repeated key answers the first
  refund, a different body with it is ``BAD_REQUEST_ERROR``, and while the
  first is still being processed the answer is 409), ``GET
  /v1/payments/:id/refunds``. ``refund_status`` sets
  whether a new refund is ``processed`` at once or ``pending``.
- Checkout: ``GET /v1/checkout.js`` defines ``window.Razorpay`` like
  Razorpay's checkout.js: ``new Razorpay(options).open()`` opens the
  stand-in's own pay page (``/checkout/pay``) in a frame over the shop's
  page; paying there authorizes a payment for ``options.order_id`` and calls
  ``options.handler`` with ``razorpay_payment_id``, ``razorpay_order_id``
  and ``razorpay_signature`` (HMAC-SHA256 of ``order_id|payment_id`` with
  the key secret). ``declines`` makes the next payments fail
  (``payment.failed`` listeners get the error).
- Webhooks: :func:`signed` builds a delivery as Razorpay sends it
  (``X-Razorpay-Signature``: HMAC-SHA256 of the body with the webhook
  secret, ``x-razorpay-event-id``); with ``webhook_url`` set, the stand-in
  delivers ``payment.authorized`` itself when a payment is authorized.

Failure modes, for the next ``times`` calls whose ``"<METHOD> <path>"``
contains ``path_part``: ``fail(path_part, 503)`` answers that status without doing
anything (Razorpay down); ``fail(path_part, "lose")`` does the work and then
answers 500 (the answer lost); ``fail(path_part, "hold")`` waits for
``release`` before doing it (slower than the shop waits: a timeout).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import string
from html import escape
from typing import Any

import httpx
from quart import Quart, g, request

KEY_ID = "rzp_test_StandIn0001"
KEY_SECRET = "standinKeySecret0001"
WEBHOOK_SECRET = "standin-webhook-secret"
_ALPHABET = string.ascii_letters + string.digits


def razorpay_settings(url: str, **overrides: Any) -> dict[str, Any]:
    """The plugin's settings pointed at a stand-in served at ``url``."""
    return {"key_id": KEY_ID, "key_secret": KEY_SECRET, "webhook_secret": WEBHOOK_SECRET, "api_base": url,
            "js_url": f"{url}/v1/checkout.js", **overrides}


def hmac_hex(secret: str, message: str | bytes) -> str:
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


_events = itertools.count(1)


def signed(event: str, entities: dict[str, dict[str, Any]], secret: str = WEBHOOK_SECRET,
           event_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    """A webhook delivery: its body and the headers Razorpay sends with it."""
    body = json.dumps({"entity": "event", "account_id": "acc_StandIn", "event": event,
                       "contains": list(entities), "created_at": 1765000000,
                       "payload": {kind: {"entity": entity} for kind, entity in entities.items()}}).encode()
    return body, {"Content-Type": "application/json", "X-Razorpay-Signature": hmac_hex(secret, body),
                  "x-razorpay-event-id": event_id or f"evt_StandIn{next(_events):06d}"}


class StandinRazorpay:
    """The stand-in's state and its Quart app (``app``); ``url`` is set once served."""

    def __init__(self) -> None:
        self.url = ""
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.failures: list[list[Any]] = []
        self.refund_replies: dict[str, tuple[dict[str, Any], dict[str, Any], int]] = {}
        self.in_flight: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self.declines = 0
        self.refund_status = "processed"
        self.webhook_url = ""
        self.deliveries: list[int] = []
        self.release = asyncio.Event()
        self._ids = itertools.count(1)
        self._clock = itertools.count(1765000000)
        self._tasks: set[asyncio.Task] = set()
        self.app = self._build()

    # ------------------------------------------------------------ test controls
    def fail(self, path_part: str, mode: int | str, times: int = 1) -> None:
        self.failures.append([path_part, mode, times])

    def _id(self, prefix: str) -> str:
        n = next(self._ids)
        tail = "".join(_ALPHABET[(n * 7 + i * 13) % len(_ALPHABET)] for i in range(10))
        return f"{prefix}_{n:04d}{tail}"

    def pay(self, order_id: str) -> dict[str, str]:
        """The shopper pays in checkout: an authorized payment (or a failed one
        while ``declines`` lasts); returns what checkout.js hands the handler
        (or ``{"error": ...}``)."""
        order = self.orders[order_id]
        payment = {"id": self._id("pay"), "entity": "payment", "amount": order["amount"],
                   "currency": order["currency"], "status": "authorized", "order_id": order_id, "method": "card",
                   "captured": False, "amount_refunded": 0, "refund_status": None, "error_code": None,
                   "error_description": None, "created_at": next(self._clock)}
        self.payments[payment["id"]] = payment
        order["status"], order["attempts"] = "attempted", order["attempts"] + 1
        if self.declines:
            self.declines -= 1
            payment.update(status="failed", error_code="BAD_REQUEST_ERROR",
                           error_description="Your payment was declined by the bank.")
            return {"error": {"code": "BAD_REQUEST_ERROR", "description": payment["error_description"],
                              "metadata": {"order_id": order_id, "payment_id": payment["id"]}}}
        if self.webhook_url:
            self._deliver("payment.authorized", {"payment": dict(payment)})
        return {"razorpay_payment_id": payment["id"], "razorpay_order_id": order_id,
                "razorpay_signature": hmac_hex(KEY_SECRET, f"{order_id}|{payment['id']}")}

    def _deliver(self, event: str, entities: dict[str, dict[str, Any]]) -> None:
        async def send() -> None:
            body, headers = signed(event, entities)
            async with httpx.AsyncClient(timeout=30) as client:
                self.deliveries.append((await client.post(self.webhook_url, content=body, headers=headers)).status_code)
        task = asyncio.get_running_loop().create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ app
    def _build(self) -> Quart:
        app = Quart("standin_razorpay")
        me = self

        def error(status: int, description: str, code: str = "BAD_REQUEST_ERROR") -> tuple[dict, int]:
            return {"error": {"code": code, "description": description, "source": "business",
                              "step": "payment_initiation", "reason": "input_validation_failed",
                              "metadata": {}}}, status

        @app.before_request
        async def gate():
            path = request.path
            me.calls.append((request.method, path))
            for failure in me.failures:
                if failure[0] in f"{request.method} {path}" and failure[2] > 0:
                    failure[2] -= 1
                    if failure[1] == "lose":
                        g.lose = True
                    elif failure[1] == "hold":
                        g.flight = request.headers.get("X-Refund-Idempotency")
                        if g.flight:
                            me.in_flight.add(g.flight)
                        try:
                            await me.release.wait()
                        finally:
                            me.in_flight.discard(g.flight)
                    else:
                        return error(failure[1], "The server encountered an error.", "SERVER_ERROR")
                    break
            if not path.startswith("/v1/") or path == "/v1/checkout.js":
                return None
            expected = "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                return error(401, "The api key provided is invalid")
            return None

        @app.after_request
        async def lose(response):
            if g.get("lose"):
                body, status = error(500, "The server encountered an error.", "SERVER_ERROR")
                return app.response_class(json.dumps(body), status=status, content_type="application/json")
            return response

        @app.get("/healthz")
        async def healthz():
            return {"ok": True}

        @app.post("/v1/orders")
        async def create_order():
            body = await request.get_json(force=True, silent=True) or {}
            amount, currency, receipt = body.get("amount"), body.get("currency"), body.get("receipt")
            if not isinstance(amount, int) or amount < 100:
                return error(400, "The amount must be atleast INR 1.00")
            if not isinstance(currency, str) or len(currency) != 3:
                return error(400, "The currency field is invalid.")
            if receipt is not None and (len(str(receipt)) > 40):
                return error(400, "The receipt may not be greater than 40 characters.")
            if receipt and any(o["receipt"] == receipt for o in me.orders.values()):
                return error(400, "Order receipt should be unique.")
            order = {"id": me._id("order"), "entity": "order", "amount": amount, "amount_paid": 0,
                     "amount_due": amount, "currency": currency, "receipt": receipt, "offer_id": None,
                     "status": "created", "attempts": 0, "notes": body.get("notes") or [],
                     "created_at": next(me._clock)}
            me.orders[order["id"]] = order
            return order

        @app.get("/v1/orders")
        async def list_orders():
            receipt = request.args.get("receipt")
            items = [o for o in me.orders.values() if receipt is None or o["receipt"] == receipt]
            return {"entity": "collection", "count": len(items), "items": items}

        @app.get("/v1/orders/<order_id>")
        async def get_order(order_id: str):
            if order_id not in me.orders:
                return error(400, "The id provided does not exist")
            return me.orders[order_id]

        @app.get("/v1/orders/<order_id>/payments")
        async def order_payments(order_id: str):
            if order_id not in me.orders:
                return error(400, "The id provided does not exist")
            items = [p for p in me.payments.values() if p["order_id"] == order_id]
            return {"entity": "collection", "count": len(items), "items": items}

        @app.get("/v1/payments/<payment_id>")
        async def get_payment(payment_id: str):
            if payment_id not in me.payments:
                return error(400, "The id provided does not exist")
            return me.payments[payment_id]

        @app.post("/v1/payments/<payment_id>/capture")
        async def capture(payment_id: str):
            payment = me.payments.get(payment_id)
            if payment is None:
                return error(400, "The id provided does not exist")
            body = await request.get_json(force=True, silent=True) or {}
            if payment["captured"]:
                return error(400, "This payment has already been captured")
            if payment["status"] != "authorized":
                return error(400, "Only payments which have been authorized and not yet captured can be captured")
            if body.get("amount") != payment["amount"] or body.get("currency") != payment["currency"]:
                return error(400, "Capture amount must be equal to the amount authorized")
            payment.update(status="captured", captured=True)
            order = me.orders[payment["order_id"]]
            order.update(status="paid", amount_paid=payment["amount"], amount_due=0)
            return payment

        @app.post("/v1/payments/<payment_id>/refund")
        async def refund(payment_id: str):
            payment = me.payments.get(payment_id)
            if payment is None:
                return error(400, "The id provided does not exist")
            body = await request.get_json(force=True, silent=True) or {}
            key = request.headers.get("X-Refund-Idempotency")
            if key is not None:
                if len(key) < 10 or not all(ch.isalnum() or ch in "-_" for ch in key):
                    return error(400, "The idempotency key is invalid.")
                if key in me.in_flight and g.get("flight") != key:
                    return error(409, "A request with this idempotency key is in progress.")
                if key in me.refund_replies:
                    first_body, first_answer, status = me.refund_replies[key]
                    if first_body != body:
                        return error(400, "The request body differs from the first request with this key.")
                    return first_answer, status
            answer, status = make_refund(payment, body)
            if key is not None:
                me.refund_replies[key] = (body, answer, status)
            return answer, status

        def make_refund(payment: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int]:
            left = payment["amount"] - payment["amount_refunded"]
            amount = body.get("amount", left)
            if not payment["captured"]:
                return error(400, "The payment has not been captured")
            if not isinstance(amount, int) or amount <= 0 or amount > left:
                return error(400, "The refund amount provided is greater than amount captured")
            payment["amount_refunded"] += amount
            payment["refund_status"] = "full" if payment["amount_refunded"] == payment["amount"] else "partial"
            if payment["refund_status"] == "full":
                payment["status"] = "refunded"
            made = {"id": me._id("rfnd"), "entity": "refund", "amount": amount, "currency": payment["currency"],
                    "payment_id": payment["id"], "notes": body.get("notes") or [], "receipt": body.get("receipt"),
                    "status": me.refund_status, "speed_processed": "normal", "created_at": next(me._clock)}
            me.refunds[made["id"]] = made
            return made, 200

        @app.get("/v1/payments/<payment_id>/refunds")
        async def refunds(payment_id: str):
            items = [r for r in me.refunds.values() if r["payment_id"] == payment_id]
            return {"entity": "collection", "count": len(items), "items": items}

        @app.get("/v1/checkout.js")
        async def checkout_js():
            return app.response_class(CHECKOUT_JS.replace("__ORIGIN__", me.url),
                                      content_type="application/javascript")

        @app.get("/checkout/pay")
        async def pay_page():
            order = me.orders.get(request.args.get("order_id", ""))
            if order is None or request.args.get("key_id") != KEY_ID:
                return "Unknown order or key", 400
            amount = f"{order['amount'] / 100:.2f} {order['currency']}"
            return PAY_PAGE.format(amount=escape(amount), order=escape(order["id"]),
                                   name=escape(request.args.get("name", "")[:80]))

        @app.post("/checkout/pay")
        async def pay_submit():
            form = await request.form
            if form.get("order_id") not in me.orders:
                return "Unknown order", 400
            return me.pay(form["order_id"])

        return app


CHECKOUT_JS = """// Stand-in for Razorpay's checkout.js (tests only).
(function () {
  'use strict';
  var ORIGIN = '__ORIGIN__';
  function Razorpay(options) { this.options = options; this.listeners = {}; }
  Razorpay.prototype.on = function (name, callback) { this.listeners[name] = callback; };
  Razorpay.prototype.open = function () {
    var self = this, options = this.options;
    var overlay = document.createElement('div');
    overlay.setAttribute('data-razorpay-standin', '');
    overlay.style.cssText = 'position:fixed;inset:0;background:rgba(0,0,0,.6);display:flex;' +
      'align-items:center;justify-content:center;z-index:2147483647';
    var frame = document.createElement('iframe');
    frame.title = 'Razorpay Checkout';
    frame.style.cssText = 'width:min(360px,94vw);height:min(300px,90vh);border:0;border-radius:8px;background:#fff';
    frame.src = ORIGIN + '/checkout/pay?order_id=' + encodeURIComponent(options.order_id) +
      '&key_id=' + encodeURIComponent(options.key) + '&name=' + encodeURIComponent(options.name || '');
    overlay.appendChild(frame);
    document.body.appendChild(overlay);
    function close() { window.removeEventListener('message', receive); overlay.remove(); }
    function receive(event) {
      if (event.origin !== ORIGIN || !event.data || event.data.source !== 'razorpay-standin') { return; }
      var answer = event.data.answer;
      if (event.data.dismissed) {
        close();
        if (options.modal && options.modal.ondismiss) { options.modal.ondismiss(); }
      } else if (answer.error) {
        close();
        if (self.listeners['payment.failed']) { self.listeners['payment.failed']({ error: answer.error }); }
      } else {
        close();
        options.handler(answer);
      }
    }
    window.addEventListener('message', receive);
  };
  window.Razorpay = Razorpay;
}());
"""

PAY_PAGE = """<!doctype html><html lang=en><meta name=viewport content="width=device-width,initial-scale=1">
<title>Razorpay Checkout (stand-in)</title>
<style>body{{font:16px system-ui,sans-serif;margin:0;padding:24px;color:#0b1f35}}
h1{{font-size:1.1rem;margin:0 0 4px}}p{{margin:0 0 20px;color:#51606f}}
button{{display:block;width:100%;padding:12px;margin:8px 0;border-radius:6px;border:1px solid #3395ff;
font-size:1rem;background:#fff;color:#3395ff}}button.pay{{background:#3395ff;color:#fff}}</style>
<h1>{name}</h1><p>Order {order}</p>
<form><input type=hidden name=order_id value="{order}">
<button class=pay type=submit>Pay {amount}</button>
<button type=button data-dismiss>Cancel</button></form>
<script>
(function () {{
  var form = document.querySelector('form');
  function tell(message) {{ message.source = 'razorpay-standin'; window.parent.postMessage(message, '*'); }}
  form.addEventListener('submit', function (event) {{
    event.preventDefault();
    fetch('/checkout/pay', {{ method: 'POST', body: new FormData(form) }})
      .then(function (r) {{ return r.json(); }}).then(function (answer) {{ tell({{ answer: answer }}); }});
  }});
  document.querySelector('[data-dismiss]').addEventListener('click', function () {{ tell({{ dismissed: true }}); }});
}}());
</script></html>"""
