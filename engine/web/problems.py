"""RFC 9457 problem details: the one error shape of the JSON API.

An error on any other path is a small HTML page of the request's surface
(:func:`engine.web.pages.simple_page`: the active theme on the storefront,
the admin's own templates under ``/admin``): a plugin failure
(:class:`engine.plugins.HookError`, 502) and an unexpected error (500)
included. A problem about a plugin (``HookError``, ``PluginFailure``) names
it in the extension member ``plugin``.
"""
from __future__ import annotations

from typing import Any

from quart import Quart, jsonify, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from engine.errors import ShopError
from engine.plugins import HookError
from engine.web.pages import simple_page

PROBLEM_TYPE = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem document. ``errors`` maps field → message."""

    def __init__(self, status: int, title: str, detail: str = "", type_: str = "about:blank",
                 errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type, self.errors = status, title, detail, type_, errors


def problem_response(status: int, title: str, detail: str = "", type_: str = "about:blank", errors=None,
                     **extensions: Any):
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update({key: value for key, value in extensions.items() if value is not None})
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
        return problem_response(exc.status, exc.title, exc.detail, exc.type, exc.errors or None,
                                plugin=getattr(exc, "plugin", None))

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
            return problem_response(502, "Plugin error", str(exc), type_="/problems/plugin-error", plugin=exc.plugin)
        return await simple_page(502, "Temporarily unavailable",
                                 f"Part of the shop (the plugin {exc.plugin!r}) is not working right now, so this "
                                 f"page cannot be shown. Nothing was changed; please try again in a moment.")

    @app.errorhandler(HTTPException)
    async def _http(exc: HTTPException):
        if _wants_problem():
            response = problem_response(exc.code or 500, exc.name, exc.description or "")
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # RFC 9110: a 405 names them
            return response
        code = exc.code or 500
        if code == 500:  # an unexpected error: say nothing about it
            return await simple_page(500, "Something went wrong",
                                     "The shop could not answer this request. Please try again in a moment.")
        if code > 500:
            return await simple_page(code, exc.name, exc.description or "Please try again in a moment.")
        return exc
