"""The plugin as a merchant gets it: installed but not enabled, then enabled
from the ``shopwright`` command and configured through the admin API while the
shop runs, trained by its job and evaluated with its own command; its cron
job registered."""
from __future__ import annotations

import re

from seeded_shop import seed

from engine import sdk
from engine.testing import api_token, check_installed, collect_jobs, run_shopwright, wait_until
from shopwright_recommendations import plugin

NAME = "recommendations"


def test_entry_point_loads_without_error():
    check_installed(NAME, plugin, "shopwright-recommendations")


async def test_enabled_configured_trained_and_evaluated_at_runtime(make_app, sqlite_url):
    app = await make_app(plugins=[plugin], enable=[], database_url=sqlite_url)
    await seed(app.runtime, orders=240)
    client = app.test_client()
    path = "/api/v1/products/alder-shirt/recommendations"
    assert (await client.get(path)).status_code == 404, "installed is not enabled"
    owner, job = collect_jobs(app.runtime.host)["recommendations.train"]
    assert owner == NAME and job.cron == {"hour": {0, 6, 12, 18}, "minute": {17}}, "a cron job of the worker"

    run_shopwright(app, "plugins", "enable", NAME)
    token = await api_token("merchant", ["plugins:write"])
    admin = {"Authorization": f"Bearer {token}"}
    refused = await client.patch(f"/api/v1/admin/plugins/{NAME}/settings", json={"shown": 99}, headers=admin)
    assert refused.status_code == 422 and "shown" in await refused.get_data(as_text=True)
    configured = await client.patch(f"/api/v1/admin/plugins/{NAME}/settings", json={"shown": 2}, headers=admin)
    assert configured.status_code == 200, await configured.get_json()
    await wait_until(lambda: app.runtime.host.is_active(NAME), what="the running shop loading the plugin")
    assert await sdk.enqueue(app.runtime, "recommendations.train")
    await app.runtime.queue.drain()

    async def two_shown():
        response = await client.get(path)
        return response.status_code == 200 and len((await response.get_json())["also_bought"]) == 2
    await wait_until(two_shown, what="the running shop using the new plugin and its setting")

    evaluated = run_shopwright(app, NAME, "evaluate").stdout
    print(evaluated)
    model = re.search(r"model +hit-rate@10 ([\d.]+) +coverage ([\d.]+)", evaluated)
    baseline = re.search(r"best sellers hit-rate@10 ([\d.]+) +coverage ([\d.]+)", evaluated)
    assert model and baseline, evaluated
    assert float(model.group(1)) > float(baseline.group(1)), "the model beats best sellers on hit-rate@10"
    assert float(model.group(2)) > float(baseline.group(2)), "and covers more of the catalog"
    assert "192 trained, 48 held out" in evaluated
