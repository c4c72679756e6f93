"""Property-based API test: schemathesis generates requests from /openapi.json
against the app served by Hypercorn on 127.0.0.1, and every answer must be
no server error (5xx) and must match the documented schema (status, media
type and body of documented responses).

Covered operations are the paths matching ``INCLUDE`` (regexes): every
operation under ``/api/v1/``, so a new endpoint is covered as soon as it is
documented; narrow it while a domain is being rebuilt. Each operation gets
``MAX_EXAMPLES`` generated cases (positive and negative), deadline off.
"""
from __future__ import annotations

import asyncio
import socket

import httpx

INCLUDE = [
    r"^/api/v1/",  # every JSON API operation: catalog, carts, checkout, orders, accounts, admin, plugins
]
MAX_EXAMPLES = {"positive": 15, "negative": 6}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_schemathesis(base_url: str, token: str) -> list[str]:
    """Run every included operation; returns the failures found (empty: none)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    schema = schema.include(path_regex="|".join(f"({pattern})" for pattern in INCLUDE))
    headers = {"Authorization": f"Bearer {token}"}
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=MAX_EXAMPLES[mode.value], deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(base_url=base_url, headers=headers, checks=checks, timeout=30)

            try:
                check()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise
                # nothing of this operation can be made invalid (no input): nothing to test
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                f"{type(exc).__name__}: {str(exc)[:1500]}")
    assert operations >= 25, f"only {operations} operations matched INCLUDE"
    return failures


async def test_api_answers_match_the_openapi_document(shopwright_settings, database_url, catalog_builder):
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from engine.accounts.staff import create_token
    from engine.app import create_app

    settings = shopwright_settings(database_url=database_url, api={"rate_limit_per_ip": 0, "rate_limit_per_token": 0},
                                   webhooks={"timeout_seconds": 1})
    app = create_app(settings, plugins=[])
    config = Config()
    port = _free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = config.errorlog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"{base_url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        await catalog_builder(app.runtime)
        token, _ = await create_token("schemathesis", ["all"])
        failures = await asyncio.to_thread(run_schemathesis, base_url, token)
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
    assert not failures, "\n\n".join(failures)
