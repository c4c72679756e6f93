"""A stand-in Odoo server for the tests: a real HTTP server on 127.0.0.1
speaking Odoo's documented external JSON-RPC API (``POST /jsonrpc`` with
``{"jsonrpc": "2.0", "method": "call", "params": {"service", "method",
"args"}}``): ``common.version``, ``common.authenticate`` and
``object.execute_kw`` with ``search_read``, ``create``, ``write``,
``action_apply_inventory``, ``action_cancel`` and ``message_post`` on the models the connector uses. Domains support
``=``, ``>``, ``>=``, ``in``, ``ilike`` and the ``location_id.usage`` path of quants.

Test levers: ``down`` (answer HTTP 503 to that many next requests),
``faulty`` (template ids whose reading answers an Odoo fault, as a broken
computed field does), ``calls`` (every ``(model, method)`` made).
"""
from __future__ import annotations

import itertools
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EPOCH = datetime(2026, 1, 1)


class OdooStandIn:
    def __init__(self, db: str = "shop", login: str = "sync@example.com", password: str = "secret") -> None:
        self.db, self.login, self.password = db, login, password
        self.models: dict[str, dict[int, dict[str, Any]]] = {
            name: {} for name in ("product.template", "product.product", "stock.quant", "res.partner", "sale.order",
                                  "sale.order.line", "mail.message", "product.attribute",
                                  "product.template.attribute.value")}
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self.down = 0
        self.faulty: set[int] = set()
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        #: while set to an unset Event, each ``sale.order`` create waits for it (``waiting`` counts them)
        self.sale_order_gate: threading.Event | None = None
        self.waiting = 0
        self.server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ data
    def now(self) -> str:
        return (EPOCH + timedelta(seconds=next(self._clock))).strftime("%Y-%m-%d %H:%M:%S")

    #: the models whose records Odoo archives (field ``active``, true when created)
    ARCHIVABLE = ("product.template", "product.product", "res.partner")

    def add(self, model: str, /, **values: Any) -> int:
        record_id = next(self._ids)
        if model in self.ARCHIVABLE:
            values.setdefault("active", True)
        self.models[model][record_id] = {"id": record_id, **values, "write_date": self.now()}
        return record_id

    def touch(self, model: str, record_id: int, **values: Any) -> None:
        self.models[model][record_id].update(values, write_date=self.now())

    def add_product(self, name: str, sku: str, price: float, on_hand: float | None = None) -> tuple[int, int]:
        """A template with one variant and (optionally) its stock; (template id, variant id)."""
        template = self.add("product.template", name=name, description_sale=f"{name}, from Odoo", list_price=price)
        variant = self.add("product.product", product_tmpl_id=template, default_code=sku, lst_price=price,
                           product_template_attribute_value_ids=[])
        if on_hand is not None:
            self.add("stock.quant", product_id=variant, quantity=on_hand, location_usage="internal")
        return template, variant

    def add_variants(self, name: str, price: float, attribute: str, skus: dict[str, str],
                     on_hand: float = 0) -> tuple[int, list[int]]:
        """A template with one variant per ``{value: sku}`` of ``attribute``."""
        template = self.add("product.template", name=name, description_sale="", list_price=price)
        attribute_id = self.add("product.attribute", name=attribute)
        variants = []
        for value, sku in skus.items():
            value_id = self.add("product.template.attribute.value", attribute_id=attribute_id, name=value,
                                product_tmpl_id=template)
            variant = self.add("product.product", product_tmpl_id=template, default_code=sku, lst_price=price,
                               product_template_attribute_value_ids=[value_id])
            self.add("stock.quant", product_id=variant, quantity=on_hand, location_usage="internal")
            variants.append(variant)
        return template, variants

    def rows(self, model: str) -> list[dict[str, Any]]:
        """Copies of ``model``'s records, taken under the server's lock (the
        server's thread may be writing while a test reads)."""
        with self.lock:
            return [dict(record) for record in self.models[model].values()]

    def quant_of(self, variant: int) -> dict[str, Any] | None:
        return next((q for q in self.rows("stock.quant") if q["product_id"] == variant), None)

    # ------------------------------------------------------------ protocol
    def _display(self, model: str, record_id: int) -> list:
        record = self.models[model].get(record_id, {})
        return [record_id, record.get("name") or record.get("default_code") or str(record_id)]

    _MANY2ONE = {"product_tmpl_id": "product.template", "product_id": "product.product", "partner_id": "res.partner",
                 "attribute_id": "product.attribute"}

    def _value(self, record: dict, field: str) -> Any:
        if field == "location_id.usage":
            return record.get("location_usage", "internal")
        return record.get(field, False)

    def _match(self, record: dict, domain: list) -> bool:
        for field, op, value in domain:
            have = self._value(record, field)
            if op == "=" and have != value:
                return False
            if op == ">" and not (have and have > value):
                return False
            if op == ">=" and not (have and have >= value):
                return False
            if op == "in" and have not in value:
                return False
            if op == "ilike" and str(value).lower() not in str(have or "").lower():
                return False
        return True

    def _fault_check(self, model: str, domain: list) -> None:
        ids: set[int] = set()
        for field, op, value in domain:
            values = set(value) if op == "in" else {value}
            if (model, field) in (("product.template", "id"), ("product.product", "product_tmpl_id")):
                ids |= values
        if ids & self.faulty:
            raise Fault(f"ValueError: Expected singleton: product.template({sorted(ids & self.faulty)[0]},)")

    def _read(self, model: str, record: dict, fields: list[str]) -> dict:
        out = {"id": record["id"]}  # Odoo always answers the id
        for field in fields or record:
            value = record.get(field, False)
            if field in self._MANY2ONE and value:
                value = self._display(self._MANY2ONE[field], value)
            if field == "quantity" and value is False:
                value = 0.0
            out[field] = value
        return out

    def execute_kw(self, model: str, method: str, args: list, kwargs: dict) -> Any:
        self.calls.append((model, method))
        table = self.models[model]
        if method == "search_read":
            domain = args[0]
            self._fault_check(model, domain)
            archived_too = (kwargs.get("context") or {}).get("active_test") is False
            rows = [r for r in sorted(table.values(), key=lambda r: r["id"]) if self._match(r, domain)
                    and (archived_too or r.get("active", True) is not False)]   # Odoo's active_test
            if kwargs.get("order"):
                field, _, direction = kwargs["order"].partition(" ")
                rows.sort(key=lambda r: r.get(field) or "", reverse=direction.strip().lower() == "desc")
            if kwargs.get("limit"):
                rows = rows[:kwargs["limit"]]
            return [self._read(model, r, kwargs.get("fields")) for r in rows]
        if method == "create":
            values = dict(args[0])
            lines = values.pop("order_line", [])
            record_id = self.add(model, **values)
            for command in lines:
                assert command[0] == 0, command
                if not command[2].get("display_type") and not command[2].get("product_id"):
                    raise Fault('new row for relation "sale_order_line" violates check constraint '
                                '"sale_order_line_accountable_required_fields"')
                self.add("sale.order.line", order_id=record_id, **command[2])
            return record_id
        if method == "write":
            for record_id in args[0]:
                self.touch(model, record_id, **args[1])
            return True
        if method == "action_cancel":
            for record_id in args[0]:
                self.touch(model, record_id, state="cancel")
            return True
        if method == "message_post":
            return [self.add("mail.message", model=model, res_id=record_id, body=kwargs["body"])
                    for record_id in args[0]][0]
        if method == "action_apply_inventory":
            for record_id in args[0]:
                quant = table[record_id]
                self.touch(model, record_id, quantity=quant["inventory_quantity"], location_usage="internal")
            return True
        raise Fault(f"method {method} not implemented on {model}")

    def handle(self, body: dict) -> dict:
        params = body["params"]
        service, method, args = params["service"], params["method"], params["args"]
        gate = self.sale_order_gate
        if gate is not None and method == "execute_kw" and list(args[3:5]) == ["sale.order", "create"]:
            with self.lock:
                self.waiting += 1
            gate.wait()
        try:
            with self.lock:
                if service == "common" and method == "version":
                    result: Any = {"server_version": "17.0-standin", "protocol_version": 1}
                elif service == "common" and method == "authenticate":
                    result = 2 if list(args[:3]) == [self.db, self.login, self.password] else False
                elif service == "object" and method == "execute_kw":
                    db, uid, password, model, name, call_args = args[:6]
                    if (db, uid, password) != (self.db, 2, self.password):
                        raise Fault("Access Denied")
                    result = self.execute_kw(model, name, call_args, args[6] if len(args) > 6 else {})
                else:
                    raise Fault(f"unknown {service}.{method}")
        except Exception as exc:  # Odoo answers any server exception as a JSON-RPC error
            return {"jsonrpc": "2.0", "id": body.get("id"), "error": {
                "code": 200, "message": "Odoo Server Error", "data": {"name": "odoo.exceptions.UserError",
                                                                      "message": str(exc)}}}
        return {"jsonrpc": "2.0", "id": body.get("id"), "result": result}

    # ------------------------------------------------------------ server
    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with standin.lock:
                    down = standin.down > 0
                    if down:
                        standin.down -= 1
                if self.path != "/jsonrpc" or down:
                    self.send_response(503 if down else 404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = json.dumps(standin.handle(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


class Fault(Exception):
    pass
