"""The OpenAPI document tells the truth (issue 20, item 9): ``schemathesis run``
with every check (``--checks all``) over every operation under ``/api/v1/``,
against the app served by Hypercorn on 127.0.0.1 with a token that has every
scope. Any 5xx, undocumented status code, invalid request accepted, valid
request refused, response that breaks its schema, or method answered without
``405`` and an ``Allow`` header fails the test, with schemathesis' report.

Bounded and repeatable: a fixed seed, no example database and
``MAX_EXAMPLES`` cases per operation and phase (about 3,000 requests, well
under two minutes). The deliberate exclusions are listed in ``docs/api.md``
("Testing the contract") and here: ``EXCLUDED_CHECKS``, ``NO_NUL`` and
``SEMANTIC_REFUSALS``.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.accounts.staff import create_token
from engine.app import create_app
from engine.testing.checkout import served

INCLUDE_PATH_REGEX = r"^/api/v1/"
#: revoking a token by id would, sooner or later, revoke the run's own token (id 1)
#: and leave every later operation answering 401; tests/accounts cover it
EXCLUDE_PATH_REGEX = r"^/api/v1/admin/tokens/\{token_id\}$"
SEED = 20
MAX_EXAMPLES = 4
#: examples (from the document), coverage (boundary values, missing and wrong
#: types, unsupported methods) and fuzzing; not stateful (see EXCLUDED_CHECKS)
PHASES = "examples,coverage,fuzzing"
#: checks that need the stateful phase's links between operations, which the
#: document does not declare: a resource deleted and then read (use_after_free,
#: ensure_resource_availability). Everything else runs.
EXCLUDED_CHECKS = "use_after_free,ensure_resource_availability"
#: NUL (U+0000) in text is refused with 422 everywhere (engine.web.inputs), a
#: rule the document states in words, not in every string's schema.
NO_NUL = ["--generation-allow-x00", "false"]
#: Schema-valid requests the services may still refuse, because the rule needs
#: the shop's data, not the request's shape: (path regex, extra statuses a valid
#: request may get, why). Everything else must be accepted.
SEMANTIC_REFUSALS = [
    (r"^/api/v1/(products|admin/(products|orders|customers|webhooks|webhooks/deliveries"
     r"|webhooks/\{subscription_id\}/deliveries))$",
     ["400", "422"],
     "a cursor is opaque: only one this server made is valid (400); min_price above max_price (422)"),
    (r"^/api/v1/carts/\{token\}/checkout$", ["422"],
     "addresses (country, postcode), e-mail, shipping and payment method ids are checked against the shop"),
    (r"^/api/v1/admin/plugins/\{name\}/settings$", ["422"], "each plugin's own settings schema"),
    (r"^/api/v1/admin/(products|categories)", ["422"],
     "categories, a parent and attributes must exist in the catalog; no category is its own ancestor"),
    (r"^/api/v1/admin/promotions", ["422"],
     "a kind's rules (fixed: whole minor units; buy X get Y: both quantities), dates in order"),
    (r"^/api/v1/admin/tokens$", ["422"], "scopes must be permission codes"),
    (r"^/api/v1/carts/\{token\}/(lines|vouchers)$", ["422"],
     "the SKU must exist and be in stock; a voucher must exist and apply to the cart"),
]
POSITIVE_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
#: about a minute on a quiet machine, several on a loaded one: the run's own
#: subprocess limit (600 s) decides, not the suite's default 300 s per test
pytestmark = pytest.mark.timeout(900)


def config_file(path: Path) -> Path:
    """The schemathesis configuration (TOML) with SEMANTIC_REFUSALS."""
    lines = []
    for regex, statuses, _why in SEMANTIC_REFUSALS:
        lines += ["[[operations]]", f"include-path-regex = {json.dumps(regex)}",
                  f"checks.positive_data_acceptance.expected-statuses = {json.dumps(POSITIVE_ACCEPTED + statuses)}",
                  ""]
    path.write_text("\n".join(lines))
    return path


def run_schemathesis(base_url: str, token: str, report_dir: Path) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config_file(report_dir / "schemathesis.toml")), "run", f"{base_url}/openapi.json",
        "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS, "--phases", PHASES, *NO_NUL,
        "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--generation-database", "none",
        "--workers", "1", "--no-color", "--continue-on-failure",
        "--include-path-regex", INCLUDE_PATH_REGEX, "--exclude-path-regex", EXCLUDE_PATH_REGEX,
        "--header", f"Authorization: Bearer {token}",
        "--request-timeout", "30", "--report", "ndjson", "--report-dir", str(report_dir),
    ]
    # in report_dir: schemathesis keeps a cache of past failures in .schemathesis/ of its working directory
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=report_dir,
                          env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""})


def failures_in(report_dir: Path) -> list[str]:
    """One line per failed check in schemathesis' NDJSON report: the check, the
    request (method, URL, the start of the body) and the answer's status and body."""
    found: set[str] = set()
    for report in report_dir.glob("*.ndjson"):
        for line in report.read_text().splitlines():
            scenario = json.loads(line).get("ScenarioFinished")
            if not scenario:
                continue
            recorder = scenario["recorder"]
            for case_id, checks in recorder.get("checks", {}).items():
                interaction = recorder.get("interactions", {}).get(case_id) or {}
                request, response = interaction.get("request", {}), interaction.get("response") or {}
                for check in checks:
                    if check["status"] == "failure":
                        found.add(f"{check['name']}: {request.get('method')} {request.get('uri', '')[:200]} "
                                  f"{_text(request.get('body'))[:300]} -> {response.get('status_code')} "
                                  f"{_text(response.get('content'))[:300]}")
    return sorted(found)


def _text(recorded) -> str:
    if isinstance(recorded, dict) and "$base64" in recorded:
        return base64.b64decode(recorded["$base64"]).decode("utf-8", "replace")
    return "" if recorded is None else str(recorded)


async def test_api_answers_match_the_openapi_document(shopwright_settings, database_url, catalog_builder,
                                                      tmp_path):
    settings = shopwright_settings(database_url=database_url, api={"rate_limit_per_ip": 0, "rate_limit_per_token": 0},
                                   webhooks={"timeout_seconds": 1})
    app = create_app(settings, plugins=[])
    async with served(app) as base_url:
        await catalog_builder(app.runtime)
        token, _ = await create_token("schemathesis", ["all"])
        result = await asyncio.to_thread(run_schemathesis, base_url, token, tmp_path)
    failures = failures_in(tmp_path)
    assert result.returncode == 0 and not failures, (
        f"schemathesis found {len(failures)} problems:\n" + "\n".join(failures)
        + f"\n\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
