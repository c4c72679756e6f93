"""The OpenAPI document at ``/openapi.json``: quart-schema's, completed with
what the models alone cannot say.

For every operation under ``/api/``:

- routes guarded by :func:`engine.web.guard.require_permission` get the
  ``bearerAuth`` security requirement, their scope in the description, and
  ``401``/``403`` responses; the shopper's account routes (marked
  ``requires_customer``) ``401``;
- every operation may answer ``429`` (rate limit), operations with input
  (a body, a query) ``400``/``422``, writes (POST, PUT, PATCH, DELETE)
  ``400``/``409``/``422``, operations with path parameters ``404`` — all as
  ``application/problem+json`` with the ``Problem`` schema;
- an operation that documents no success answers ``2XX`` (its body not
  described), so no success is undocumented;
- integer path parameters carry the bounds of
  :class:`engine.web.converters.IdConverter`, and paths with two parameters
  (``/carts/<token>/lines/<path:sku>``) are named right (quart-schema's path
  pattern runs across them);
- request fields marked :data:`SHOP_CURRENCY` accept only the shop's currency,
  those marked :data:`MAX_LINE_QUANTITY` the shop's ``checkout.max_line_quantity``;
- a header model's required fields are required headers; a request body is
  required unless its view is marked :func:`optional_body`;
- conditional reads (:data:`engine.api.etags.CONDITIONAL_ENDPOINTS`) list the
  ``If-None-Match`` header and the ``304`` response.

The document is built once per app (routes are fixed at app creation).
"""
from __future__ import annotations

import copy
import re
from typing import Any

from quart_schema.openapi import OpenAPIProvider
from werkzeug.routing import BaseConverter, IntegerConverter, Rule

from engine.api import etags

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: ``<converter:name>`` or ``<name>`` in a rule (quart-schema's own pattern lets
#: the converter part run across ``>``, joining two parameters into one).
RULE_PARAMETER = re.compile(r"<(?:[^:<>]*:)?([^<>]+)>")
#: Put on a request field's ``json_schema_extra`` to document "the shop's currency".
SHOP_CURRENCY = {"x-shop-currency": True}
#: ... to document the shop's ``checkout.max_line_quantity`` as the maximum.
MAX_LINE_QUANTITY = {"x-max-line-quantity": True}
WRITES = ("post", "put", "patch", "delete")


def optional_body(view: Any) -> Any:
    """Document a view's request body as optional (an empty body is ``{}``);
    every other documented body is required."""
    view.body_optional = True
    return view

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; ``errors`` maps a field to its message (validation).",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["type", "title", "status"],
}

_DESCRIPTIONS = {
    "304": "Not modified: the representation still has the ETag sent in If-None-Match.",
    "400": "Malformed request (e.g. a body that is not JSON, or a bad cursor).",
    "401": "No valid API token (Authorization: Bearer ...).",
    "403": "The token lacks the scope this operation needs.",
    "404": "No such resource.",
    "409": "The resource's state refuses the change (e.g. it exists already).",
    "422": "Validation failed; `errors` maps each field to its message.",
    "429": "Rate limit used up; retry after the Retry-After header's seconds.",
}


def _problem(code: str) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS.get(code, "Error."),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


class ShopwrightOpenAPIProvider(OpenAPIProvider):
    """quart-schema's provider plus security, error responses and ETags."""

    _cached: dict[str, Any] | None = None

    def schema(self) -> dict[str, Any]:
        if self._cached is None:
            schema = super().schema()
            _shop_settings(schema, self._app.settings)
            schema["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
            schema["components"].setdefault("securitySchemes", {})["bearerAuth"] = {
                "type": "http", "scheme": "bearer",
                "description": "An admin API token (`shopwright tokens create --name N --scopes S`).",
            }
            self._cached = schema
        return copy.deepcopy(self._cached)

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, IntegerConverter):
            for key, bound in (("minimum", converter.min), ("maximum", converter.max)):
                if bound is not None:
                    parameter["schema"][key] = bound
        return parameter

    def build_headers_parameters(self, model: type) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """quart-schema's, with ``required`` from the model (it reads it from each field's schema)."""
        parameters, definitions = super().build_headers_parameters(model)
        required = {name.replace("_", "-") for name, field in model.model_fields.items() if field.is_required()}
        for parameter in parameters:
            if parameter["name"] in required:
                parameter["required"] = True
        return parameters, definitions

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        if not rule.rule.startswith("/api/"):
            return paths, components
        paths = {RULE_PARAMETER.sub(r"{\1}", rule.rule): methods for methods in paths.values()}
        func = self._app.view_functions[rule.endpoint]
        customer = getattr(func, "requires_customer", False)
        permission = getattr(func, "required_permission", None)
        body_optional = getattr(func, "body_optional", False)
        conditional = rule.endpoint in etags.CONDITIONAL_ENDPOINTS
        for path, methods in paths.items():
            for method, operation in list(methods.items()):
                operation = copy.deepcopy(operation)
                methods[method] = operation
                responses = {str(code): value for code, value in operation.get("responses", {}).items()}
                operation["responses"] = responses
                if "requestBody" in operation:
                    operation["requestBody"]["required"] = not body_optional
                codes = ["429"]
                if permission:
                    operation["security"] = [{"bearerAuth": []}]
                    scope = f"Requires the `{permission}` scope (or `all`)."
                    operation["description"] = (operation.get("description", "") + "\n\n" + scope).strip()
                    codes += ["401", "403"]
                elif customer:
                    codes.append("401")
                if rule.arguments:
                    codes.append("404")
                if "requestBody" in operation or any(p.get("in") == "query" for p in operation["parameters"]):
                    codes += ["400", "422"]
                if method in WRITES:
                    codes += ["400", "409", "422"]
                for code in codes:
                    responses.setdefault(code, _problem(code))
                if not any(code.startswith("2") for code in responses):
                    responses["2XX"] = {"description": "Success (the body of this operation is not described)."}
                if conditional and method == "get":
                    operation["parameters"].append({
                        "name": "If-None-Match", "in": "header", "required": False,
                        "description": "ETag(s) of a cached copy; a match answers 304.",
                        "schema": {"type": "string"},
                    })
                    responses.setdefault("304", {"description": _DESCRIPTIONS["304"]})
        return paths, components


def _shop_settings(schema: dict[str, Any], settings: Any) -> None:
    """Fill in what the markers stand for: :data:`SHOP_CURRENCY` accepts only the
    shop's currency (any case), :data:`MAX_LINE_QUANTITY` has the shop's maximum."""
    currency = settings.store.currency
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.pop("x-shop-currency", False):
                for text in [branch for branch in node.get("anyOf", [node]) if branch.get("type") == "string"]:
                    text.pop("pattern", None)
                    text["enum"] = [currency, currency.lower()]
                node["description"] = f"The shop's currency, {currency} (ISO 4217)."
            if node.pop("x-max-line-quantity", False):
                node["maximum"] = settings.checkout.max_line_quantity
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
