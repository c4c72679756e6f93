"""Queueing a plugin's job and reading a plugin's own state through the SDK."""
from __future__ import annotations

import pytest
import sdk_fixture.plugin as fixture

from engine import sdk
from engine.testing import fetch


async def test_enqueue_runs_the_job_once_per_job_id(make_runtime):
    runtime = await make_runtime(plugins=[fixture])
    assert await sdk.enqueue(runtime, "sdk_fixture.award", "1001", 5, job_id="award:1001") is True
    assert await sdk.enqueue(runtime, "sdk_fixture.award", "1001", 5, job_id="award:1001") is False
    await runtime.queue.drain()
    assert await fetch("SELECT order_number, points FROM sdk_fixture_points") == [
        {"order_number": "1001", "points": 5}]
    assert await sdk.enqueue(runtime, "sdk_fixture.award", "1002", 1, delay_seconds=0.05)
    await runtime.queue.drain()
    assert len(await fetch("SELECT * FROM sdk_fixture_points")) == 2


@pytest.mark.parametrize("name, options", [
    ("Award", {}), ("sdk_fixture", {}), ("a.b.c", {}), ("x" * 200 + ".y", {}),
    ("sdk_fixture.award", {"job_id": ""}), ("sdk_fixture.award", {"job_id": "x" * 201}),
    ("sdk_fixture.award", {"delay_seconds": -1}), ("sdk_fixture.award", {"delay_seconds": True}),
])
async def test_enqueue_refuses_malformed_requests(make_runtime, name, options):
    runtime = await make_runtime(plugins=[fixture])
    with pytest.raises(ValueError):
        await sdk.enqueue(runtime, name, **options)


async def test_enqueue_through_redis(make_runtime, redis_url):
    runtime = await make_runtime(plugins=[fixture], redis_url=redis_url)
    assert await sdk.enqueue(runtime, "sdk_fixture.award", "2001", 3, job_id="award:2001") is True
    assert await sdk.enqueue(runtime, "sdk_fixture.award", "2001", 3, job_id="award:2001") is False


async def test_plugin_settings_and_state(make_runtime):
    runtime = await make_runtime(plugins=[fixture])
    await runtime.host.configure("sdk_fixture", {"points_per_order": "3"})
    assert sdk.is_active(runtime, "sdk_fixture") and sdk.plugin_settings(runtime, "sdk_fixture").points_per_order == 3
    await runtime.host.disable("sdk_fixture")
    assert not sdk.is_active(runtime, "sdk_fixture") and sdk.plugin_settings(runtime, "sdk_fixture") is None
    assert sdk.plugin_settings(runtime, "no_such_plugin") is None
