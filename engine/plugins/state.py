"""Stored plugin state: which installed plugins are enabled, in what order, with what settings.

The merchant's choices live in the ``plugin_state`` table, one row per plugin that was
enabled, disabled, given a priority or configured. Without a row a core default is enabled
(unless ``plugins.disabled_defaults`` names it) and any other plugin is not; without a stored
priority the manifest's applies, core defaults after every other plugin. Hook order is
priority, then name.

Settings are validated against the plugin's pydantic model before they are written, and
again when they are read: an enabled plugin whose stored settings do not validate stays
inactive, with the reason in :attr:`StoredState.settings_errors`. ``secret()`` fields are
encrypted in the table, decrypted for the plugin and masked when shown.

:class:`StoredState` only reads and writes the table; the host decides when to re-read it
and registers the plugins :meth:`StoredState.load` returns.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError

from engine.manifest import secret_fields
from engine.plugins.discovery import InstalledPlugin
from engine.plugins.errors import PluginError, SettingsInvalid
from engine.secrets import SecretBox, mask

log = structlog.get_logger("shopwright.plugins")

CORE_PRIORITY = 10_000


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Each invalid field of ``exc`` (a dotted path; "settings" for the whole
    model) with its first message, without pydantic's "Value error, " prefix."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        message = str(error["msg"])
        errors.setdefault(where, message.removeprefix("Value error, "))
    return errors


class StoredState:
    """The ``plugin_state`` rows last loaded, and the settings of the plugins they enable.

    ``installed``: every installed plugin by name (usable or not), shared with the host;
    ``engine_settings``: the engine's settings (secret key, ``plugins.disabled_defaults``).
    """

    def __init__(self, installed: dict[str, InstalledPlugin], engine_settings) -> None:
        self.installed = installed
        self.engine_settings = engine_settings
        self._box = SecretBox(engine_settings.secret_key)
        self.rows: dict[str, dict] = {}
        self.settings_errors: dict[str, str] = {}
        self._settings: dict[str, BaseModel | None] = {}
        self._signature: str | None = None

    def priority(self, name: str) -> int:
        row = self.rows.get(name)
        if row and row.get("priority") is not None:
            return int(row["priority"])
        plugin = self.installed[name]
        if plugin.core:
            return CORE_PRIORITY + plugin.manifest.priority
        return plugin.manifest.priority

    def missing(self) -> list[str]:
        """Plugins the stored state enables that are not installed here, by name."""
        return sorted(name for name, row in self.rows.items() if row["enabled"] and name not in self.installed)

    def enabled(self, name: str) -> bool:
        plugin = self.installed[name]
        row = self.rows.get(name)
        if row is not None:
            return bool(row["enabled"])
        return plugin.core and name not in self.engine_settings.plugins.disabled_defaults

    @staticmethod
    def signature(rows: dict[str, dict]) -> str:
        """``rows`` as one comparable string: equal strings, equal stored state."""
        return json.dumps(rows, sort_keys=True, default=str)

    def load(self, rows: dict[str, dict], force: bool = False) -> list[str] | None:
        """Take ``rows`` (by plugin name) as the stored state. Returns the usable, enabled
        plugins whose settings validate, in hook order; None when ``rows`` are the ones
        already loaded, unless ``force`` (the installed plugins changed)."""
        signature = self.signature(rows)
        if signature == self._signature and not force:
            return None
        self._signature = signature
        self.rows = rows
        self._settings, self.settings_errors = {}, {}
        wanted = []
        for name, plugin in self.installed.items():
            if plugin.error or not self.enabled(name):
                continue
            try:
                self._settings[name] = self._decode(plugin, rows.get(name, {}).get("settings") or "{}")
            except PluginError as exc:
                self.settings_errors[name] = str(exc)
                log.error("plugin.bad_settings", plugin=name, error=str(exc))
                continue
            wanted.append(name)
        return sorted(wanted, key=lambda n: (self.priority(n), n))

    async def read(self) -> dict[str, dict]:
        """The ``plugin_state`` rows, by plugin name."""
        from engine.system.tables import PluginState

        rows = await PluginState.select(
            PluginState.name, PluginState.enabled, PluginState.priority, PluginState.settings
        ).run()
        return {row["name"]: row for row in rows}

    async def write(self, name: str, **values: Any) -> None:
        """Insert or update ``name``'s row; in force once the rows are read and loaded again."""
        from engine.system.tables import PluginState

        values["updated_at"] = datetime.now(timezone.utc)
        existing = await PluginState.select(PluginState.id).where(PluginState.name == name).first().run()
        if existing:
            await PluginState.update({getattr(PluginState, k): v for k, v in values.items()}).where(
                PluginState.name == name
            ).run()
        else:
            await PluginState.insert(PluginState(name=name, **values)).run()

    # ------------------------------------------------------------ settings
    def _decode(self, plugin: InstalledPlugin, raw_json: str) -> BaseModel | None:
        """``plugin``'s settings from their stored JSON, secrets decrypted; PluginError
        when they do not validate."""
        model = plugin.manifest.settings
        if model is None:
            return None
        try:
            raw = json.loads(raw_json)
        except ValueError:
            raise PluginError("stored settings are not valid JSON") from None
        values = {}
        for key, value in raw.items():
            if key in secret_fields(model) and value not in (None, ""):
                try:
                    value = self._box.decrypt(value)
                except ValueError as exc:
                    raise PluginError(f"setting {key}: {exc}") from None
            values[key] = value
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "settings"
            raise PluginError(f"invalid setting {where}: {first['msg']}") from None

    def settings_for(self, name: str) -> BaseModel | None:
        """The validated settings of an active plugin (secrets decrypted)."""
        return self._settings.get(name)

    def stored_settings(self, name: str) -> BaseModel | None:
        """A plugin's settings whether it is active or not: an active plugin's own,
        else its stored ones (or the model's defaults); None when it has no
        settings model or they do not validate."""
        if name in self._settings:
            return self._settings[name]
        plugin = self.installed.get(name)
        if plugin is None or plugin.manifest is None:
            return None
        try:
            return self._decode(plugin, (self.rows.get(name) or {}).get("settings") or "{}")
        except PluginError:
            return None

    def shown_settings(self, plugin: InstalledPlugin) -> dict[str, Any]:
        """Settings for display: secrets masked."""
        model = plugin.manifest.settings if plugin.manifest else None
        if model is None:
            return {}
        current = self._settings.get(plugin.name)
        if current is None:
            try:
                current = self._decode(plugin, (self.rows.get(plugin.name) or {}).get("settings") or "{}")
            except PluginError:
                return {}
        data = current.model_dump(mode="json")
        for key in secret_fields(model):
            data[key] = mask(data.get(key))
        return data

    async def configure(self, plugin: InstalledPlugin, values: dict[str, Any]) -> BaseModel:
        """Validate and write settings (merged over the current ones). Secret values are
        encrypted before they are written. Raises PluginError naming the bad key; nothing
        is written then."""
        name = plugin.name
        if plugin.manifest is None or plugin.manifest.settings is None:
            raise PluginError(f"plugin {name!r} has no settings")
        model = plugin.manifest.settings
        unknown = sorted(set(values) - set(model.model_fields))
        if unknown:
            raise SettingsInvalid(
                f"plugin {name!r} has no setting {unknown[0]!r} (known: {', '.join(model.model_fields)})",
                {key: "unknown setting" for key in unknown})
        row = self.rows.get(name) or {}
        try:
            current = self._decode(plugin, row.get("settings") or "{}")
        except PluginError:
            current = None
        merged = current.model_dump() if current else {}
        merged.update(values)
        try:
            validated = model.model_validate(merged)
        except ValidationError as exc:
            errors = field_errors(exc)
            where, message = next(iter(errors.items()))
            raise SettingsInvalid(f"invalid setting {where} for plugin {name!r}: {message}", errors) from None
        stored = validated.model_dump(mode="json")
        for key in secret_fields(model):
            if stored.get(key) not in (None, ""):
                stored[key] = self._box.encrypt(str(stored[key]))
        if name in self.rows:
            await self.write(name, settings=json.dumps(stored))
        else:
            await self.write(name, settings=json.dumps(stored), enabled=self.enabled(name))
        return validated
