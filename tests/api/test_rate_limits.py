"""Rate limits per client IP and per API token: 429 + Retry-After."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from engine.web.ratelimit import _gcra


async def test_per_ip_limit_answers_429_with_retry_after(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url, api={"rate_limit_per_ip": 3, "rate_limit_window_seconds": 60})
    client = app.test_client()
    remaining = []
    for _ in range(3):
        response = await client.get("/api/v1/categories")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    [entry] = [value for (kind, _key), value in app.cache.memory.items() if kind == "response"]
    assert entry.complete(), "the third answer came from the fast path, and was counted"
    assert (await client.get("/api/v1/categories")).status_code == 429, "a cached answer is limited too"
    refused = await client.get("/api/v1/products")
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 20  # one request per 60/3 s comes back
    problem = await refused.get_json()
    assert problem["status"] == 429 and problem["type"] == "/problems/rate-limited"
    assert (await client.get("/healthz")).status_code == 200, "only the API is limited"
    other_client = await client.get("/api/v1/categories", scope_base={"client": ("10.1.2.3", 5000)})
    assert other_client.status_code == 200, "another address has its own budget"


async def test_per_token_limit_is_separate_per_token(sqlite_url, make_app):
    from engine.accounts.staff import create_token

    app = await make_app(database_url=sqlite_url, api={"rate_limit_per_ip": 1000, "rate_limit_per_token": 2})
    client = app.test_client()
    first, _ = await create_token("first", ["catalog:read"])
    second, _ = await create_token("second", ["catalog:read"])
    for _ in range(2):
        assert (await client.get("/api/v1/admin/products", headers={"Authorization": f"Bearer {first}"})
                ).status_code == 200
    refused = await client.get("/api/v1/admin/products", headers={"Authorization": f"Bearer {first}"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "token" in (await refused.get_json())["detail"]
    assert (await client.get("/api/v1/admin/products", headers={"Authorization": f"Bearer {second}"})
            ).status_code == 200
    assert (await client.get("/api/v1/products")).status_code == 200, "anonymous requests are not the token's"


async def test_budget_comes_back_after_retry_after(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url, api={"rate_limit_per_ip": 2, "rate_limit_window_seconds": 1})
    client = app.test_client()
    assert [(await client.get("/api/v1/categories")).status_code for _ in range(3)] == [200, 200, 429]
    await asyncio.sleep(0.6)  # one request per 0.5 s
    assert (await client.get("/api/v1/categories")).status_code == 200
    assert (await client.get("/api/v1/categories")).status_code == 429


async def test_forwarded_address_counts_behind_trusted_proxies(sqlite_url, make_app):
    app = await make_app(database_url=sqlite_url, api={"rate_limit_per_ip": 1}, security={"trusted_proxies": 1})
    client = app.test_client()
    for address in ("198.51.100.1", "198.51.100.2"):
        headers = {"X-Forwarded-For": f"203.0.113.9, {address}"}
        assert (await client.get("/api/v1/categories", headers=headers)).status_code == 200
        assert (await client.get("/api/v1/categories", headers=headers)).status_code == 429


async def test_limits_are_shared_across_processes_through_redis(sqlite_url, redis_url, make_app):
    """Two apps on one Redis (as two Hypercorn processes would be) share one budget."""
    queue = f"swtest:{uuid.uuid4().hex[:10]}"
    settings = dict(database_url=sqlite_url, redis_url=redis_url, jobs={"queue_name": queue},
                    api={"rate_limit_per_ip": 4, "rate_limit_window_seconds": 30})
    first = (await make_app(**settings)).test_client()
    second = (await make_app(**settings)).test_client()
    statuses = []
    for client in (first, second, first, second, first, second):
        statuses.append((await client.get("/api/v1/categories")).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_limiter_store_down_lets_requests_through(sqlite_url, make_app):
    """With Redis unreachable the API keeps answering (the limiter fails open)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    app = await make_app(database_url=sqlite_url, redis_url=dead, api={"rate_limit_per_ip": 1})
    client = app.test_client()
    assert [(await client.get("/api/v1/categories")).status_code for _ in range(3)] == [200, 200, 200]


def test_a_fresh_key_gets_its_first_request_whatever_the_clock_reads():
    """GCRA on the clock values themselves: at 2040.1090003485567 s,
    ``at + 60 - 60`` rounds above ``at``, which refused the first request of a
    limit of 1 per minute (seen as a 429 in the test suite, depending on the
    machine's uptime)."""
    at = 2040.1090003485567
    assert at + 60.0 - 60.0 > at  # the rounding this guards against
    first, tat = _gcra(at, at, limit=1, window=60.0)
    assert first.allowed and first.remaining == 0 and tat == at + 60.0
    second, _ = _gcra(tat, at, limit=1, window=60.0)
    assert not second.allowed and second.retry_after == pytest.approx(60.0)
    decisions, tat = [], at
    for _ in range(4):
        decision, new_tat = _gcra(tat, at, limit=3, window=60.0)
        decisions.append((decision.allowed, decision.remaining))
        tat = new_tat if new_tat is not None else tat
    assert decisions == [(True, 2), (True, 1), (True, 0), (False, 0)]
