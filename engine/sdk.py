"""The public API for plugin code, besides ``engine`` (``hookimpl``,
``PluginManifest``, ``secret``, ``Money``, ``DomainEvent``),
``engine.protocols`` and ``engine.money``; plugin tests add ``engine.testing``.

A plugin imports nothing else from ``engine``: the rest is internal and may
change in any release. What is here follows the engine's version and the
compatibility range a plugin declares in its manifest (``engine_range``).

- :class:`PluginError`: a plugin cannot be used or configured as asked (an
  unknown plugin, a setting that does not validate).
- :class:`HookError`: a hook implementation raised or missed its deadline.
- :class:`LoginFailed`, :class:`RedirectLoginMethod`: for login-method
  plugins (``auth_login_methods``).
- :func:`require_permission`: guard a plugin's admin JSON route (blueprints
  from ``lifecycle_blueprints``) with a permission code; 401 without
  credentials, 403 without the permission.
"""
from __future__ import annotations

from engine.accounts.auth import LoginFailed, RedirectLoginMethod
from engine.plugins import HookError, PluginError
from engine.web.guard import require_permission

__all__ = ["HookError", "LoginFailed", "PluginError", "RedirectLoginMethod", "require_permission"]
