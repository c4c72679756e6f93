"""Plugin validation of a checkout (``checkout_validate`` call site)."""
from __future__ import annotations

from typing import Any, Mapping

from engine.plugins import HookError


async def validate_checkout(runtime, checkout: Mapping[str, Any]) -> dict[str, str]:
    """Errors from every validator, by field; empty when the checkout may proceed.
    When two plugins flag the same field, the first in hook order is shown."""
    errors: dict[str, str] = {}
    deadline = runtime.settings.plugins.hook_deadline_seconds
    for plugin, result in await runtime.host.call_each("checkout_validate", deadline, checkout=checkout):
        if not isinstance(result, Mapping):
            raise HookError(plugin, "checkout_validate", "must return a dict of field -> message or None")
        for field_name, message in result.items():
            errors.setdefault(str(field_name), str(message))
    return errors
