"""The plugin host's errors.

:class:`PluginError`: a plugin cannot be used or changed as asked; the message says why in
words fit for the merchant. :class:`HookError`: a hookimpl raised or missed its deadline; it
names the plugin and the hook, and the caller decides what that means for its work.
"""
from __future__ import annotations


class PluginError(Exception):
    """A plugin cannot be used (bad name, bad settings, unknown plugin, ...)."""


class SettingsInvalid(PluginError):
    """Settings refused by the plugin's model; ``errors`` maps each bad
    setting (a dotted path for nested fields) to its message, for forms that
    show every error at its field. The message names the first."""

    def __init__(self, message: str, errors: dict[str, str]) -> None:
        super().__init__(message)
        self.errors = errors


class HookError(Exception):
    """A hookimpl raised or missed its deadline. The message names the plugin."""

    def __init__(self, plugin: str, hook: str, reason: str) -> None:
        self.plugin = plugin
        self.hook = hook
        self.reason = reason
        super().__init__(f"plugin {plugin!r} failed in hook {hook!r}: {reason}")
