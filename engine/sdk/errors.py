"""Errors a plugin meets or raises through the SDK.

- :class:`PluginError`: a plugin cannot be used or configured as asked (an
  unknown plugin, a setting that does not validate).
- :class:`HookError`: a hook implementation raised or missed its deadline;
  ``plugin``, ``hook`` and ``reason`` say which and why.
- :class:`ShopError`: what the shop's services refuse with; ``detail`` is
  the sentence to show and ``errors`` maps a field to its message. Its
  kinds: :class:`NotFound` (an unknown SKU, product, order or warehouse) and
  :class:`InvalidInput` (a bad argument: a malformed SKU, a quantity out of
  range, too many items at once).
- :class:`OrderRefused`: raise it from ``orders_placing`` to refuse an order
  with a message for the shopper; nothing of the order is written. Example::

      raise sdk.OrderRefused("The gift card has no balance left.", {"gift_card": "no balance"})
"""
from __future__ import annotations

from engine.errors import InvalidInput, NotFound, OrderRefused, ShopError
from engine.plugins.errors import HookError, PluginError

__all__ = ["HookError", "InvalidInput", "NotFound", "OrderRefused", "PluginError", "ShopError"]
