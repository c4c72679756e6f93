"""``shopwright worker`` as a real process: it rides out a Redis restart and
stops gracefully on SIGTERM (issue 20, item 3).

Each test starts the worker as a subprocess against a private redis-server
(``private_redis``) that the test may stop and start, with the test plugin
``tests/support/job_probe`` made discoverable by an entry point in a
temporary ``.dist-info`` folder. Jobs write lines to a log file the test
reads; the worker's health endpoint (``--health-port``) says when it polls.
"""
from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from engine.testing import plugin_site, wait_until
from engine.testing.checkout import free_port

pytestmark = [pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")]

SUPPORT = Path(__file__).resolve().parents[1] / "support"
DEADLINE = 60.0  # generous: the machine is shared


def _load_probe():
    spec = importlib.util.spec_from_file_location("job_probe", SUPPORT / "job_probe" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class WorkerProcess:
    """One ``shopwright worker --health-port P`` subprocess and what it recorded."""

    def __init__(self, runtime, redis_url: str, tmp_path: Path, **settings: str) -> None:
        self.dir = tmp_path / "probe"
        self.dir.mkdir(exist_ok=True)
        self.port = free_port()
        self.output = tmp_path / f"worker-{self.port}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("SHOPWRIGHT_")}
        env.update({
            "SHOPWRIGHT_CONFIG": os.devnull,
            "SHOPWRIGHT_DATABASE_URL": runtime.settings.database_url,
            "SHOPWRIGHT_REDIS_URL": redis_url,
            "SHOPWRIGHT_SECRET_KEY": runtime.settings.secret_key,
            "SHOPWRIGHT_JOBS__QUEUE_NAME": runtime.settings.jobs.queue_name,
            "SHOPWRIGHT_JOBS__RECONNECT_MAX_SECONDS": "1",
            "SHOPWRIGHT_LOGGING__LEVEL": "INFO",
            "JOB_PROBE_DIR": str(self.dir),
            "PYTHONPATH": os.pathsep.join([str(plugin_site(tmp_path / f"site-{self.port}", "job_probe")), str(SUPPORT),
                                           os.environ.get("PYTHONPATH", "")]),
        })
        env.update({f"SHOPWRIGHT_JOBS__{key.upper()}": value for key, value in settings.items()})
        with open(self.output, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "worker", "--health-port", str(self.port)],
                env=env, stdout=out, stderr=subprocess.STDOUT)

    def lines(self) -> list[str]:
        path = self.dir / "log"
        return path.read_text().splitlines() if path.exists() else []

    def release(self, key: str) -> None:
        (self.dir / f"release-{key}").touch()

    async def readyz(self) -> tuple[int, dict] | None:
        assert self.process.poll() is None, f"the worker exited ({self.process.returncode}): {self.log()}"
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
        except httpx.HTTPError:
            return None
        return response.status_code, response.json()

    async def until_ready(self, status: int = 200) -> dict:
        async def check():
            answer = await self.readyz()
            return answer[1] if answer and answer[0] == status else None

        return await wait_until(check, DEADLINE, what=f"the worker's /readyz to answer {status}")

    async def exit_code(self) -> int:
        await wait_until(lambda: self.process.poll() is not None, DEADLINE, what="the worker to exit")
        return self.process.returncode

    def log(self) -> str:
        return self.output.read_text()[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
async def worker_setup(private_redis, make_jobs_runtime, sqlite_url, tmp_path, monkeypatch):
    """``start(**jobs_settings)`` → a :class:`WorkerProcess`; and the test's runtime
    (its queue enqueues onto the private Redis; its plugin host has job_probe)."""
    probe = _load_probe()
    runtime = await make_jobs_runtime(plugins=[probe], database_url=sqlite_url, redis_url=private_redis.url,
                                      background=False)
    monkeypatch.setenv("JOB_PROBE_DIR", str(tmp_path / "probe"))  # for the in-process burst worker
    started: list[WorkerProcess] = []

    def start(**settings: str) -> WorkerProcess:
        worker = WorkerProcess(runtime, private_redis.url, tmp_path, **settings)
        started.append(worker)
        return worker

    yield start, runtime
    for worker in started:
        worker.stop()


async def test_worker_rides_out_a_redis_restart(worker_setup, private_redis):
    start, runtime = worker_setup
    worker = start()
    ready = await worker.until_ready()
    assert ready["status"] == "ok" and ready["database"]["ok"] is True and ready["stopping"] is False
    base = f"http://127.0.0.1:{worker.port}"
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(base + "/healthz")).json() == {"status": "ok"}
        assert (await client.get(base + "/elsewhere")).status_code == 404
        refused = await client.post(base + "/readyz")
        assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
        head = await client.head(base + "/readyz")
        assert head.status_code == 200 and head.content == b""
    await runtime.queue.enqueue("job_probe.quick", "before")
    await wait_until(lambda: "done before" in worker.lines(), DEADLINE, what="the job enqueued before the outage")

    private_redis.stop()
    down = await worker.until_ready(503)
    assert down["redis"]["ok"] is False and down["redis"]["error"]
    assert down["database"]["ok"] is True

    private_redis.start()  # empty: no persistence
    up = await worker.until_ready(200)
    assert up["redis"] == {"ok": True, "error": None, "last_poll_seconds_ago": up["redis"]["last_poll_seconds_ago"]}
    await runtime.queue.enqueue("job_probe.quick", "after")
    await wait_until(lambda: "done after" in worker.lines(), DEADLINE, what="the job enqueued after the restart")

    worker.process.send_signal(signal.SIGTERM)
    assert await worker.exit_code() == 0, worker.log()
    assert worker.lines() == ["done before", "done after"]
    assert "redis_unavailable" in worker.log() and "Traceback" not in worker.log()
    # Once started, its start-up objects were set aside from the cyclic GC
    # (modules, plugins, settings: well over 50,000 objects).
    frozen = re.search(r"start_up_objects_frozen\s.*objects=(\d+)\s.*process=worker", worker.output.read_text())
    assert frozen and int(frozen.group(1)) > 50_000, worker.log()


async def slow_job_running(worker_setup, key: str, grace: str) -> WorkerProcess:
    """A worker with ``shutdown_grace_seconds=grace``, running ``job_probe.slow(key)``."""
    start, runtime = worker_setup
    worker = start(shutdown_grace_seconds=grace)
    await worker.until_ready()
    await runtime.queue.enqueue("job_probe.slow", key)
    await wait_until(lambda: f"start {key} 1" in worker.lines(), DEADLINE, what="the job to start")
    return worker


async def test_sigterm_lets_the_running_job_finish_then_exits_0(worker_setup, burst):
    runtime = worker_setup[1]
    worker = await slow_job_running(worker_setup, "s", grace="120")

    worker.process.send_signal(signal.SIGTERM)
    stopping = await worker.until_ready(503)
    assert stopping["stopping"] is True and stopping["jobs"]["running"] == 1
    await runtime.queue.enqueue("job_probe.quick", "late")  # a stopping worker picks nothing new
    worker.release("s")
    assert await worker.exit_code() == 0, worker.log()
    assert worker.lines() == ["start s 1", "done s"]

    # The job that came late waits in the queue for the next worker; "s" is not run again.
    await burst(runtime)
    assert worker.lines() == ["start s 1", "done s", "done late"]


async def test_sigterm_hands_back_a_job_past_the_grace_period_and_it_runs_once(worker_setup, burst):
    runtime = worker_setup[1]
    worker = await slow_job_running(worker_setup, "h", grace="0.2")

    worker.process.send_signal(signal.SIGTERM)
    assert await worker.exit_code() == 0, worker.log()
    assert worker.lines() == ["start h 1"]  # cancelled, not finished
    assert "jobs_handed_back" in worker.log()

    # Handed back: queued again at once (no in-progress mark left to expire), and
    # not counted as a try — the job allows one try only, and it runs.
    worker.release("h")
    ran = await burst(runtime)  # (it may also run a cron job the worker had scheduled: count lines, not jobs)
    assert ran.jobs_failed == 0
    assert worker.lines() == ["start h 1", "start h 1", "done h"]


async def test_worker_starts_before_redis_and_stops_during_an_outage(worker_setup, private_redis):
    start, runtime = worker_setup
    private_redis.stop()
    worker = start()
    down = await worker.until_ready(503)
    assert down["status"] == "unavailable" and down["redis"]["ok"] is False

    private_redis.start()
    await worker.until_ready(200)
    await runtime.queue.enqueue("job_probe.quick", "once up")
    await wait_until(lambda: "done once up" in worker.lines(), DEADLINE, what="the job")

    private_redis.stop()
    await worker.until_ready(503)
    worker.process.send_signal(signal.SIGTERM)
    assert await worker.exit_code() == 0, worker.log()
