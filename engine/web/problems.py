"""RFC 9457 problem details: the one error shape of the JSON API."""
from __future__ import annotations

from typing import Any

from quart import Quart, jsonify, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from engine.errors import ShopError
from engine.plugins import HookError

PROBLEM_TYPE = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem document. ``errors`` maps field → message."""

    def __init__(self, status: int, title: str, detail: str = "", type_: str = "about:blank",
                 errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type, self.errors = status, title, detail, type_, errors


def problem_response(status: int, title: str, detail: str = "", type_: str = "about:blank", errors=None):
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM_TYPE
    return response


def _wants_problem() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def install(app: Quart) -> None:
    @app.errorhandler(Problem)
    async def _problem(exc: Problem):
        return problem_response(exc.status, exc.title, exc.detail, exc.type, exc.errors)

    @app.errorhandler(ShopError)
    async def _shop_error(exc: ShopError):
        return problem_response(exc.status, exc.title, exc.detail, exc.type, exc.errors or None)

    @app.errorhandler(RequestSchemaValidationError)
    async def _validation(exc: RequestSchemaValidationError):
        errors = {}
        validation = exc.validation_error
        if hasattr(validation, "errors"):
            for item in validation.errors():
                errors[".".join(str(p) for p in item["loc"]) or "body"] = item["msg"]
        else:
            errors["body"] = str(validation)
        return problem_response(422, "Validation failed", "The request body is not valid.", errors=errors)

    @app.errorhandler(UnicodeDecodeError)
    async def _undecodable(exc: UnicodeDecodeError):
        # A body that is not UTF-8 (request.get_json() decodes it) is the client's error.
        if _wants_problem():
            return problem_response(400, "Bad request", "The request body is not valid UTF-8.")
        return "Bad request: the request body is not valid UTF-8.", 400

    @app.errorhandler(HookError)
    async def _hook(exc: HookError):
        if _wants_problem():
            return problem_response(502, "Plugin error", str(exc), type_="/problems/plugin-error")
        return f"A plugin failed: {exc.plugin}. Please try again later.", 502

    @app.errorhandler(HTTPException)
    async def _http(exc: HTTPException):
        if _wants_problem():
            return problem_response(exc.code or 500, exc.name, exc.description or "")
        return exc
