"""Meta-tests: every hookspec has a test and a documentation entry."""
from __future__ import annotations

import re
from pathlib import Path

from engine.hookdocs import hook_specs, render

REPO = Path(__file__).resolve().parents[1]


def _test_sources() -> str:
    roots = [REPO / "tests", *(REPO / "plugins").glob("*/tests"), *(REPO / "themes").glob("*/tests")]
    return "\n".join(p.read_text() for root in roots for p in root.rglob("test_*.py"))


def test_every_hookspec_has_a_test():
    sources = _test_sources()
    missing = [name for _, name, _ in hook_specs() if not re.search(rf"def test_hook_{name}\b", sources)]
    assert not missing, f"hookspecs without a test_hook_<name> test: {missing}"


def test_every_hookspec_is_documented_and_docs_are_current():
    text = (REPO / "docs" / "hooks.md").read_text()
    for _, name, function in hook_specs():
        assert f"### `{name}(" in text, f"{name} missing from docs/hooks.md"
        assert function.__doc__ and len(function.__doc__.strip()) > 80, f"{name} needs a contract docstring"
    assert text == render(), "docs/hooks.md is stale: run `python -m engine.hookdocs > docs/hooks.md`"


def test_every_hookspec_states_its_mode_and_where_it_runs():
    for _, name, function in hook_specs():
        doc = function.__doc__.lower()
        assert "firstresult" in doc or "collect-all" in doc, name
        assert any(word in doc for word in ("request", "worker", "start-up", "called once", "app creation")), name


def test_every_hookspec_declares_its_contract():
    from engine.hookspecs.contract import HookContract

    for _, name, function in hook_specs():
        contract = getattr(function, "contract", None)
        assert isinstance(contract, HookContract), f"{name}: declare it with engine.hookspecs.contract.spec"
        firstresult = getattr(function, "shopwright_spec").get("firstresult")
        assert firstresult == (contract.mode == "first"), name
