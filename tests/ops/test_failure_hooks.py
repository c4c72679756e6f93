"""The provider-neutral hooks an error tracker builds on: ``lifecycle_failure``
(a plugin's hook failed, a job failed for good) and ``lifecycle_activation``
(a plugin became active in this process, or stopped being active)."""
from __future__ import annotations

from types import SimpleNamespace

from pydantic import BaseModel

from engine import PluginManifest, hookimpl
from engine.protocols import FailureReport, JobDefinition
from engine.testing import wait_until


def plugin(name: str, settings=None, **hooks):
    return SimpleNamespace(MANIFEST=PluginManifest(name=name, title=name, settings=settings),
                           **{key: hookimpl(value) for key, value in hooks.items()})


async def test_hook_lifecycle_failure(make_runtime):
    reports: list[FailureReport] = []

    def reporter_that_breaks(failure):
        raise RuntimeError("the reporter itself fails")

    def broken_sources():
        raise ValueError("no sources today")

    async def doomed(ctx):
        raise KeyError("job lost its key")

    plugins = [plugin("reporter", lifecycle_failure=lambda failure: reports.append(failure)),
               plugin("bad_reporter", lifecycle_failure=reporter_that_breaks),
               plugin("broken", theme_csp_sources=broken_sources,
                      jobs_register=lambda: [JobDefinition("broken.doomed", doomed, max_tries=1)])]
    runtime = await make_runtime(plugins=plugins)

    answers = await runtime.host.hook("theme_csp_sources")
    assert [failure.plugin for failure in answers.skipped] == ["broken"]
    assert len(reports) == 1, "one failure, one report; the reporter that broke is not reported in a loop"
    hook_failure = reports[0]
    assert (hook_failure.kind, hook_failure.plugin, hook_failure.hook) == ("hook", "broken", "theme_csp_sources")
    assert isinstance(hook_failure.exception, ValueError) and "no sources today" in hook_failure.message
    assert "bad_reporter" in await runtime.host.failures(), "the reporter's own failure is recorded for staff"

    await runtime.queue.enqueue("broken.doomed")
    await wait_until(lambda: len(reports) == 2)
    job_failure = reports[1]
    assert (job_failure.kind, job_failure.plugin, job_failure.job) == ("job", "broken", "broken.doomed")
    assert isinstance(job_failure.exception, KeyError)


class DsnSettings(BaseModel):
    dsn: str = ""


async def test_hook_lifecycle_activation(make_runtime):
    calls: list[tuple[bool, str | None]] = []

    def activation(active, settings):
        calls.append((active, settings.dsn if settings else None))

    watcher = plugin("watcher", settings=DsnSettings, lifecycle_activation=activation)
    runtime = await make_runtime(plugins=[watcher], enable=[])
    assert calls == [], "installed is not active"

    await runtime.host.enable("watcher")
    await runtime.host.configure("watcher", {"dsn": "second"})
    await runtime.host.disable("watcher")
    assert calls == [(True, ""), (True, "second"), (False, "second")]

    await runtime.host.enable("watcher")
    calls.clear()
    await runtime.stop()
    assert calls == [(False, "second")], "a stopping process lets its active plugins close what they opened"
