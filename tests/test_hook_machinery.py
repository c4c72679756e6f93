"""The one hook caller (engine.plugins.calls): modes, deadlines, threads, the
circuit breaker and the failure record, as each spec's contract states them."""
from __future__ import annotations

import asyncio
import sys
import threading
import time
from types import SimpleNamespace

import pluggy
import pytest
from pydantic import BaseModel

from engine import PROJECT_NAME, PluginManifest, hookimpl
from engine.hookspecs.contract import spec
from engine.money import Money
from engine.plugins import HookError
from engine.plugins.calls import HookCaller
from engine.protocols import Adjustment, JobDefinition, PriceableLine
from engine.settings import load_settings
from engine.testing.checkout import add_product, cart_with


def plugin(name: str, priority: int = 100, core: bool = False, **hooks):
    return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, priority=priority, core=core),
                           **{key: hookimpl(value) for key, value in hooks.items()})


async def wait_for(condition, timeout: float = 20.0) -> None:
    """Wait until ``condition()`` holds (polling; the timeout only ends a test that would hang)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():
        assert loop.time() - started < timeout, "condition not reached"
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------ modes, on specs of this test
@spec("first", "request")
def pick(value):
    """first"""


@spec("collect", "request", on_failure="skip")
def gather(value):
    """collect, skip"""


@spec("pipeline", "request", pipe="value")
def refine(value, settings):
    """pipeline"""


@spec("collect", "process", implementation="sync", on_failure="skip")
def wire():
    """sync"""


#: hook specifications of this test, one per mode and policy
SPECS = SimpleNamespace(pick=pick, gather=gather, refine=refine, wire=wire)


def caller_for(*objects, **options) -> HookCaller:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(SPECS)
    for obj in reversed(objects):  # pluggy calls the last registered first
        pm.register(obj, name=obj.MANIFEST.name)
    settings = load_settings(config_path="/dev/null", environ={}, plugins=options)
    return HookCaller(pm, lambda name: SimpleNamespace(step=name), settings.plugins,
                      is_core=lambda name: name.startswith("core"))


async def test_first_collect_and_pipeline_modes_come_from_the_contract():
    caller = caller_for(
        plugin("a", pick=lambda value: None, gather=lambda value: value + 1,
               refine=lambda value, settings: f"{value}>{settings.step}"),
        plugin("b", pick=lambda value: value * 10, gather=lambda value: value + 2, refine=lambda value: None),
        plugin("c", pick=lambda value: "never asked", gather=lambda value: None,
               refine=lambda value, settings: f"{value}>{settings.step}"),
    )
    assert await caller.hook("pick", value=4) == 40, "first: the first non-None answer, in hook order"
    assert await caller.hook("gather", value=1) == [("a", 2), ("b", 3)], "collect: (plugin, result) pairs"
    assert await caller.hook("refine", value="x") == "x>a>c", "pipeline: threaded through `value`; None keeps it"
    assert await caller.hook("pick", value=4, accept=lambda plugin, result: (plugin, result)) == ("b", 40)


async def test_skip_leaves_a_failing_plugin_out_and_raise_names_it():
    def broken(value):
        raise ValueError("no")

    caller = caller_for(plugin("a", gather=broken, pick=broken), plugin("b", gather=lambda value: value))
    answers = await caller.hook("gather", value=7)
    assert answers == [("b", 7)]
    assert [(e.plugin, e.hook, e.reason) for e in answers.skipped] == [("a", "gather", "raised ValueError: no")]
    with pytest.raises(HookError, match="plugin 'a' failed in hook 'pick': raised ValueError: no"):
        await caller.hook("pick", value=7)
    with pytest.raises(ZeroDivisionError):  # a bug in the call site's own check is not the plugin's failure
        await caller.hook("gather", value=7, accept=lambda plugin, result: 1 / 0)


async def test_accept_refusing_an_answer_is_that_plugins_failure():
    caller = caller_for(plugin("a", gather=lambda value: "junk"), plugin("b", gather=lambda value: 3))

    def numbers_only(plugin, result):
        if not isinstance(result, int):
            raise TypeError(f"returned {result!r}, not a number")
        return result

    answers = await caller.hook("gather", value=0, accept=numbers_only)
    assert answers == [("b", 3)] and answers.skipped[0].reason == "returned 'junk', not a number"
    assert caller.failure_log.seen()["a"].message == "returned 'junk', not a number"


async def test_a_call_site_may_shorten_the_deadline_never_lengthen_it():
    async def slow(value):
        await asyncio.sleep(2)
        return value

    caller = caller_for(plugin("a", gather=slow), hook_deadline_seconds=0.2)
    answers = await caller.hook("gather", value=1, deadline=60)  # asks for more: the setting wins
    assert answers == [] and "missed its 0.2s deadline" in answers.skipped[0].reason
    answers = await caller.hook("gather", value=1, deadline=0.05)
    assert "missed its 0.05s deadline" in answers.skipped[0].reason


async def test_plain_def_request_hooks_of_plugins_run_off_the_event_loop_core_defaults_inline():
    threads = {}

    def where(name):
        def gather(value):
            threads[name] = threading.current_thread().name
            return value
        return gather

    caller = caller_for(plugin("core_thing", gather=where("core_thing")), plugin("extra", gather=where("extra")))
    await caller.hook("gather", value=1)
    assert threads["core_thing"] == threading.current_thread().name, "core defaults run inline"
    assert threads["extra"].startswith("shopwright-hook"), "a plugin's plain def runs in a hook thread"


def test_sync_entry_only_for_sync_hooks():
    caller = caller_for(plugin("a", wire=lambda: ["route"], gather=lambda value: value))
    assert caller.hook_sync("wire") == [("a", ["route"])]
    with pytest.raises(TypeError, match="await host.hook"):
        caller.hook_sync("gather", value=1)


# ------------------------------------------------------------------ the breaker
async def test_the_breaker_stops_calling_a_failing_plugin_for_the_cool_down_then_tries_again():
    calls = []
    healthy = threading.Event()

    async def flaky(value):
        calls.append(value)
        if not healthy.is_set():
            raise ConnectionError("down")
        return value

    caller = caller_for(plugin("flaky", gather=flaky), breaker_failures=3, breaker_cooldown_seconds=0.5)
    for value in range(5):
        answers = await caller.hook("gather", value=value)
    assert calls == [0, 1, 2], "after 3 failures in a row the plugin is not called"
    assert "failed 3 times in a row" in answers.skipped[0].reason
    assert caller.failure_log.seen()["flaky"].count == 3, "calls left out are not new failures"
    healthy.set()
    await wait_for(lambda: caller.failure_log.allows("flaky", "gather"))
    assert await caller.hook("gather", value=9) == [("flaky", 9)], "after the cool-down it is tried again"
    assert await caller.hook("gather", value=10) == [("flaky", 10)]


async def test_an_open_circuit_of_a_fail_closed_hook_fails_fast():
    calls = []

    async def pick(value):
        calls.append(value)
        raise ConnectionError("tax API down")

    caller = caller_for(plugin("taxes", pick=pick), breaker_failures=2, breaker_cooldown_seconds=60)
    for value in range(2):
        with pytest.raises(HookError, match="tax API down"):
            await caller.hook("pick", value=value)
    with pytest.raises(HookError, match="'taxes'.*left out for"):
        await caller.hook("pick", value=3)
    assert calls == [0, 1]


# ------------------------------------------------------------------ a slow sync hook and other requests
async def test_a_slow_sync_hook_is_cut_off_at_the_deadline_while_other_requests_are_served(make_app):
    entered, finished = threading.Event(), threading.Event()
    entered_at: list[float] = []

    def sleepy_discount(lines, context):
        entered_at.append(time.monotonic())
        entered.set()
        time.sleep(6)  # blocks whatever runs it
        finished.set()
        return [Adjustment("late", Money(-100, "EUR"), "x")]

    deadline = 2.0
    app = await make_app(plugins=[plugin("sleepy", pricing_adjustments=sleepy_discount)], enable=[],
                         settings={"plugins": {"hook_deadline_seconds": deadline}})
    await add_product(app.runtime, "TEE-1", stock=5)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1")
    await app.runtime.host.enable("sleepy")
    loop = asyncio.get_running_loop()

    started = loop.time()
    slow = asyncio.create_task(client.get(f"/api/v1/carts/{cart}"))
    await wait_for(entered.is_set)
    health = await client.get("/healthz")
    products = await client.get("/api/v1/products")
    # from the moment the hook started sleeping until both other requests were answered
    concurrent = time.monotonic() - entered_at[0]
    response = await slow
    total = loop.time() - started

    assert health.status_code == 200 and products.status_code == 200
    # A blocked event loop would answer them only after the hook's 6 s sleep.
    assert concurrent < deadline, f"concurrent requests took {concurrent:.2f}s while the slow hook ran"
    assert total >= deadline * 0.9, "the slow request waited for the deadline"
    assert not finished.is_set(), "cut off at the deadline, before the hook returned"
    body = await response.get_json()
    assert response.status_code == 200 and body["totals"]["discounts"] == 0
    assert body["notices"][-1]["plugins"] == ["sleepy"]
    print(f"\nconcurrent /healthz + /api/v1/products: {concurrent:.3f}s; slow cart: {total:.3f}s "
          f"(deadline {deadline}s)", file=sys.stderr)


# ------------------------------------------------------------------ failures shown to staff
async def test_failures_are_stored_at_most_once_per_interval_and_read_by_every_process(make_runtime,
                                                                                        shopwright_settings):
    from engine.runtime import Runtime
    from engine.system.tables import PluginFailure

    def broken(lines, context):
        raise RuntimeError("discount rules unreadable")

    runtime = await make_runtime(plugins=[plugin("broken_rules", core=True, pricing_adjustments=broken)],
                                 background=False,
                                 settings={"plugins": {"failure_record_interval_seconds": 3600, "breaker_failures": 0}})
    line = [PriceableLine("A", 1, Money(100, "EUR"))]
    from engine.pricing.pipeline import price_lines

    await price_lines(runtime, line, {"currency": "EUR"})
    assert await runtime.host.flush_failures() == 1
    for _ in range(3):
        await price_lines(runtime, line, {"currency": "EUR"})
    assert await runtime.host.flush_failures() == 0, "not again within the interval"
    rows = await PluginFailure.select().run()
    assert [(r["plugin"], r["hook"], r["failures"]) for r in rows] == [("broken_rules", "pricing_adjustments", 1)]
    assert (await runtime.host.failures())["broken_rules"].count == 4, "this process adds what it has not stored"

    other = Runtime(shopwright_settings(database_url=runtime.settings.database_url,
                                       secret_key=runtime.settings.secret_key),
                    plugins=[plugin("broken_rules", core=True, pricing_adjustments=broken)])
    await other.start(background=False, jobs=False)
    try:
        seen = (await other.host.failures())["broken_rules"]
        assert seen.count == 1 and seen.message == "raised RuntimeError: discount rules unreadable"
        await runtime.host.flush_failures(force=True)
        assert (await other.host.failures())["broken_rules"].count == 4
    finally:
        await other.stop()


async def test_plugins_list_and_show_print_the_latest_failure(make_runtime):
    import json
    import os
    import subprocess

    runtime = await make_runtime(background=False)
    # what the one caller records when core_promotions' hook raises, stored as the refresh loop does
    runtime.host.failure_log.failed("core_promotions", "pricing_adjustments", "raised RuntimeError: table locked\nagain")
    await runtime.host.flush_failures()
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": runtime.settings.database_url,
           "SHOPWRIGHT_SECRET_KEY": runtime.settings.secret_key, "SHOPWRIGHT_CONFIG": os.devnull}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = {row["name"]: row for row in json.loads(await asyncio.to_thread(cli, "plugins", "list", "--json", "--all"))["plugins"]}
    failure = listed["core_promotions"]["last_failure"]
    assert failure["hook"] == "pricing_adjustments" and failure["count"] == 1
    assert failure["message"] == "raised RuntimeError: table locked\nagain"
    assert listed["core_tax"]["last_failure"] is None
    text = await asyncio.to_thread(cli, "plugins", "list", "--all")
    assert "FAILING: pricing_adjustments at " in text and "(1x): raised RuntimeError: table locked again" in text
    shown = json.loads(await asyncio.to_thread(cli, "plugins", "show", "core_promotions"))
    assert shown["last_failure"]["message"].startswith("raised RuntimeError: table locked")


# ------------------------------------------------------------------ jobs_register(settings), event subscriptions
class CronSettings(BaseModel):
    interval_minutes: int = 15


async def test_jobs_register_gets_the_plugins_settings_so_they_can_drive_its_cron(make_runtime):
    from engine.jobs.registry import collect_jobs

    async def sync(ctx):
        return None

    def jobs_register(settings):
        return [JobDefinition(name="syncer.pull", func=sync,
                              cron={"minute": set(range(0, 60, settings.interval_minutes))})]

    syncer = SimpleNamespace(MANIFEST=PluginManifest(name="syncer", title="syncer", settings=CronSettings),
                             jobs_register=hookimpl(jobs_register))
    runtime = await make_runtime(plugins=[syncer], enable=[])
    assert collect_jobs(runtime.host)["syncer.pull"][1].cron == {"minute": {0, 15, 30, 45}}, \
        "a disabled plugin's jobs are registered, with its (default) settings"
    await runtime.host.enable("syncer")
    await runtime.host.configure("syncer", {"interval_minutes": 20})
    assert collect_jobs(runtime.host)["syncer.pull"][1].cron == {"minute": {0, 20, 40}}


async def test_events_are_delivered_only_to_the_plugins_that_subscribe(make_runtime):
    from engine.outbox import emit

    received: list[tuple[str, str]] = []

    def handler(name):
        async def jobs_handle_event(event):
            received.append((name, event.name))
        return jobs_handle_event

    paid_only = SimpleNamespace(MANIFEST=PluginManifest(name="paid_only", title="p", events=("order_paid",)),
                                jobs_handle_event=hookimpl(handler("paid_only")))
    everything = SimpleNamespace(MANIFEST=PluginManifest(name="everything", title="e"),
                                 jobs_handle_event=hookimpl(handler("everything")))
    runtime = await make_runtime(plugins=[paid_only, everything])
    assert runtime.host.event_subscribers("order_paid")[:2] == ["everything", "paid_only"]
    assert "paid_only" not in runtime.host.event_subscribers("order_placed")
    async with runtime.database.transaction():
        await emit("order_placed", {"number": "1001"})
        await emit("order_paid", {"number": "1001"})
    await runtime.relay_now()
    await runtime.queue.drain()
    mine = sorted(r for r in received if r[0] in ("paid_only", "everything"))
    assert mine == [("everything", "order_paid"), ("everything", "order_placed"), ("paid_only", "order_paid")]
