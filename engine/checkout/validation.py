"""Plugin validation of a checkout (``checkout_validate`` call site)."""
from __future__ import annotations

from typing import Any, Mapping

from engine.protocols import CheckoutView


def _errors(plugin: str, result: Any) -> Mapping[str, Any]:
    if not isinstance(result, Mapping):
        raise TypeError("must return a dict of field -> message or None")
    return result


async def validate_checkout(runtime, checkout: CheckoutView) -> dict[str, str]:
    """Errors from every validator, by field; empty when the checkout may proceed.
    When two plugins flag the same field, the first in hook order is shown.
    A validator that fails raises HookError (the hook fails closed)."""
    errors: dict[str, str] = {}
    for _, result in await runtime.host.hook("checkout_validate", checkout=checkout, accept=_errors):
        for field_name, message in result.items():
            errors.setdefault(str(field_name), str(message))
    return errors
