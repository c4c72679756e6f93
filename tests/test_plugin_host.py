"""The plugin host: installed vs enabled, settings, secrets, order, broken plugins."""
from __future__ import annotations

import asyncio
import json

import pytest
import sample_plugin.plugin as sample
from broken_plugins import incompatible, misspelt, no_manifest, ordered, raising, wrapper

from engine.checkout.validation import validate_checkout
from engine.plugins import HookError, PluginError, inspect_plugin
from engine.plugins.hookcheck import hook_problems
from engine.runtime import Runtime
from engine.system.tables import PluginState
from engine.testing.checkout import checkout_view


async def test_installed_is_not_enabled(make_runtime, database_url):
    runtime = await make_runtime(plugins=[sample], enable=[], database_url=database_url)
    assert "sample_plugin" in runtime.host.installed
    assert not runtime.host.is_active("sample_plugin")
    assert runtime.host.is_active("core_events"), "core defaults are enabled unless disabled"
    await runtime.host.enable("sample_plugin")
    assert runtime.host.is_active("sample_plugin")
    row = await PluginState.select().where(PluginState.name == "sample_plugin").first().run()
    assert row["enabled"] is True
    await runtime.host.disable("sample_plugin")
    assert not runtime.host.is_active("sample_plugin")


async def test_enable_unknown_plugin_is_a_clear_error(make_runtime):
    runtime = await make_runtime()
    with pytest.raises(PluginError, match="no plugin named 'nope'"):
        await runtime.host.enable("nope")


async def test_secret_settings_are_encrypted_at_rest_and_masked(make_runtime, database_url):
    runtime = await make_runtime(plugins=[sample], database_url=database_url)
    await runtime.host.configure("sample_plugin", {"api_key": "sk_live_very_secret", "threshold": "7"})
    row = await PluginState.select().where(PluginState.name == "sample_plugin").first().run()
    stored = json.loads(row["settings"])
    assert "sk_live_very_secret" not in row["settings"]
    assert stored["api_key"].startswith("enc:v1:")
    assert stored["threshold"] == 7
    assert runtime.host.settings_for("sample_plugin").api_key == "sk_live_very_secret"
    shown = runtime.host.shown_settings("sample_plugin")
    assert shown["api_key"] == "********" and shown["threshold"] == 7


async def test_plugin_test_helpers_pass_on_a_secret_and_fail_on_plain_settings(make_runtime):
    """engine.testing's helpers for plugin authors can fail: a setting stored
    in the clear, or a plugin no distribution installs."""
    from engine.testing import check_installed, check_secret_at_rest, stored_plugin_settings

    runtime = await make_runtime(plugins=[sample])
    await runtime.host.configure("sample_plugin", {"api_key": "sk_live_very_secret", "api_url": "https://x.test"})
    await check_secret_at_rest(runtime.host, "sample_plugin", "api_key", "sk_live_very_secret")
    assert (await stored_plugin_settings("sample_plugin"))["api_url"] == "https://x.test"
    with pytest.raises(AssertionError, match="in the clear"):
        await check_secret_at_rest(runtime.host, "sample_plugin", "api_url", "https://x.test")
    with pytest.raises(AssertionError, match="not found"):
        check_installed("sample_plugin", sample, "shopwright-sample-plugin")


async def test_invalid_settings_are_refused_and_nothing_is_written(make_runtime):
    runtime = await make_runtime(plugins=[sample])
    await runtime.host.configure("sample_plugin", {"threshold": "3"})
    with pytest.raises(PluginError, match="threshold"):
        await runtime.host.configure("sample_plugin", {"threshold": "-1", "api_url": "http://x"})
    with pytest.raises(PluginError, match="no setting 'colour'"):
        await runtime.host.configure("sample_plugin", {"colour": "red"})
    settings = runtime.host.settings_for("sample_plugin")
    assert settings.threshold == 3 and settings.api_url == ""


async def test_secret_unreadable_after_key_change_is_reported_and_skipped(make_runtime, shopwright_settings):
    runtime = await make_runtime(plugins=[sample])
    await runtime.host.configure("sample_plugin", {"api_key": "k"})
    other = Runtime(
        shopwright_settings(database_url=runtime.settings.database_url, secret_key="another-secret-key-0123456789"),
        plugins=[sample],
    )
    await other.start(background=False, jobs=False)
    try:
        assert not other.host.is_active("sample_plugin")
        assert "cannot be decrypted" in other.host.errors()["sample_plugin"]
    finally:
        await other.stop()


async def test_hook_order_is_priority_then_name(make_runtime):
    plugins = [ordered.make("zeta", 50), ordered.make("alpha", 100), ordered.make("beta", 100)]
    runtime = await make_runtime(plugins=plugins)
    ordered.SEEN.clear()
    await validate_checkout(runtime, checkout_view())
    assert ordered.SEEN == ["zeta", "alpha", "beta"]
    await runtime.host.set_priority("beta", 1)
    ordered.SEEN.clear()
    await validate_checkout(runtime, checkout_view())
    assert ordered.SEEN == ["beta", "zeta", "alpha"]


async def test_same_order_whatever_the_registration_order(make_runtime):
    first = await make_runtime(plugins=[ordered.make("b"), ordered.make("a"), ordered.make("c")])
    second = await make_runtime(plugins=[ordered.make("c"), ordered.make("a"), ordered.make("b")])
    assert first.host.subscribers("checkout_validate") == second.host.subscribers("checkout_validate") == ["a", "b", "c"]


async def test_broken_plugins_are_reported_and_skipped(make_app):
    app = await make_app(plugins=[sample, incompatible, misspelt, no_manifest], enable=["sample_plugin"])
    host = app.runtime.host
    errors = host.errors()
    assert "requires engine >=99" in errors["incompatible"]
    assert "payment_gateway" in errors["misspelt"]
    assert "MANIFEST" in errors["broken_plugins.no_manifest"]
    assert host.is_active("sample_plugin")
    with pytest.raises(PluginError, match="cannot be enabled"):
        await host.enable("incompatible")
    client = app.test_client()
    ready = await client.get("/readyz")
    body = await ready.get_json()
    assert ready.status_code == 200, "a broken plugin does not make the store unready"
    assert set(body["plugins"]["errors"]) == {"incompatible", "misspelt", "broken_plugins.no_manifest"}
    assert (await client.get("/sample/ping")).status_code == 200


async def test_exception_in_hook_names_the_plugin(make_runtime):
    runtime = await make_runtime(plugins=[raising])
    with pytest.raises(HookError) as caught:
        await validate_checkout(runtime, checkout_view(email="a@b.test"))
    assert caught.value.plugin == "raising"
    assert "validator exploded" in str(caught.value)


async def test_hook_error_inside_a_transaction_writes_nothing(make_runtime, database_url):
    from engine.outbox import emit
    from engine.system.tables import OutboxEvent

    runtime = await make_runtime(plugins=[raising], database_url=database_url)
    with pytest.raises(HookError):
        async with runtime.database.transaction():
            await emit("order_placed", {"number": "1001"})
            await validate_checkout(runtime, checkout_view(email="a@b.test"))
    assert await OutboxEvent.count().run() == 0


async def test_async_hook_deadline(make_runtime):
    from types import SimpleNamespace

    from engine import PluginManifest, hookimpl

    @hookimpl
    async def checkout_validate(checkout):
        await asyncio.sleep(5)

    slow = SimpleNamespace(MANIFEST=PluginManifest(name="slow", title="slow"), checkout_validate=checkout_validate)
    runtime = await make_runtime(plugins=[slow], settings={"plugins": {"hook_deadline_seconds": 0.1}})
    with pytest.raises(HookError, match="deadline"):
        await validate_checkout(runtime, checkout_view())


async def test_a_plugins_own_timeout_is_its_error_not_a_missed_deadline(make_runtime):
    from types import SimpleNamespace

    from engine import PluginManifest, hookimpl

    @hookimpl
    async def checkout_validate(checkout):
        async with asyncio.timeout(0.01):  # e.g. its own call to a remote service
            await asyncio.sleep(1)

    hasty = SimpleNamespace(MANIFEST=PluginManifest(name="hasty", title="hasty"), checkout_validate=checkout_validate)
    runtime = await make_runtime(plugins=[hasty], settings={"plugins": {"hook_deadline_seconds": 5}})
    with pytest.raises(HookError, match="TimeoutError") as raised:
        await validate_checkout(runtime, checkout_view())
    assert "deadline" not in str(raised.value)


async def test_changes_reach_another_process_within_two_seconds(make_runtime, shopwright_settings, database_url):
    writer = await make_runtime(plugins=[sample], enable=[], database_url=database_url)
    reader = Runtime(
        shopwright_settings(database_url=database_url, secret_key=writer.settings.secret_key,
                            plugins={"refresh_interval_seconds": 1.0}),
        plugins=[sample],
    )
    await reader.start(background=True, jobs=False)
    try:
        assert not reader.host.is_active("sample_plugin")
        await writer.host.enable("sample_plugin")
        await writer.host.configure("sample_plugin", {"threshold": "42"})
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < 2.0:
            settings = reader.host.settings_for("sample_plugin")
            if reader.host.is_active("sample_plugin") and settings and settings.threshold == 42:
                break
            await asyncio.sleep(0.05)
        assert reader.host.is_active("sample_plugin")
        assert reader.host.settings_for("sample_plugin").threshold == 42
    finally:
        await reader.stop()


async def test_each_app_owns_its_plugin_manager(make_app):
    with_sample = await make_app(plugins=[sample])
    without = await make_app(plugins=[])
    assert "sample_plugin" in with_sample.runtime.host.installed
    assert "sample_plugin" not in without.runtime.host.installed
    assert with_sample.runtime.host.pm is not without.runtime.host.pm
    assert (await without.test_client().get("/sample/ping")).status_code == 404


async def test_each_change_is_audited_in_the_transaction_that_stores_it(make_runtime, database_url):
    from engine.audit import entries
    from engine.db.sql import fetch

    runtime = await make_runtime(plugins=[sample], enable=[], database_url=database_url)
    host = runtime.host
    actor = {"kind": "staff", "id": 7, "email": "owner@example.test", "ip": "203.0.113.9", "user_agent": "ua/1"}
    await host.enable("sample_plugin", actor=actor)
    await host.configure("sample_plugin", {"api_key": "sk_live_never_logged", "threshold": "7"}, actor=actor)
    await host.set_priority("sample_plugin", 3, actor=actor)
    await host.disable("sample_plugin", actor=actor)
    with pytest.raises(PluginError, match="threshold"):
        await host.configure("sample_plugin", {"api_key": "sk_live_refused", "threshold": "-1"}, actor=actor)
    with pytest.raises(PluginError, match="no plugin named"):
        await host.set_priority("nope", 1, actor=actor)
    rows = [row for row in reversed(await entries()) if row["target"] == "name=sample_plugin"]
    assert [(row["action"], row["details"]) for row in rows] == [
        ("plugin.enable", {}), ("plugin.configure", {"keys": ["api_key", "threshold"]}),
        ("plugin.priority", {"priority": 3}), ("plugin.disable", {}),
    ]
    assert {(row["actor"], row["actor_kind"], row["actor_id"], row["ip"], row["user_agent"]) for row in rows} == {
        ("owner@example.test", "staff", 7, "203.0.113.9", "ua/1")}
    assert "sk_live" not in json.dumps(await entries())

    # A change whose entry cannot be written is not stored either.
    await fetch("DROP TABLE audit_log")
    with pytest.raises(Exception, match="audit_log"):
        await host.enable("sample_plugin", actor=actor)
    with pytest.raises(Exception, match="audit_log"):
        await host.configure("sample_plugin", {"threshold": "8"}, actor=actor)
    await host.refresh()
    row = await PluginState.select().where(PluginState.name == "sample_plugin").first().run()
    assert row["enabled"] is False and json.loads(row["settings"])["threshold"] == 7
    assert not host.is_active("sample_plugin")


def test_wrapper_and_misspelt_hookimpls_are_refused_with_the_fix():
    refused = inspect_plugin(misspelt, "test")
    assert refused.error == ("invalid hook implementation: payment_gateway: there is no hook named "
                             "'payment_gateway'; did you mean 'payment_gateways' (settings)?")
    problems = {problem.rule: problem for problem in hook_problems(wrapper)}
    assert set(problems) == {"wrapper", "unknown-argument"}
    assert "remove wrapper=True" in problems["wrapper"].message
    assert problems["unknown-argument"].message == "payment_gateways takes settings; 'cart' is not one of them"
    assert problems["wrapper"].file.endswith("wrapper.py") and problems["wrapper"].line == 6
    assert inspect_plugin(wrapper, "test").error.startswith("invalid hook implementation: ")
    assert hook_problems(ordered) == []
