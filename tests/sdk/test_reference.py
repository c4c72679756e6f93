"""The plugin API reference (docs/sdk.md) is generated and current, covers
every hook argument, and has an example per hook and per SDK function; the
SDK loads lazily and exports what it lists."""
from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from engine import sdk
from engine.hookdocs import hook_specs
from engine.sdkdocs import argument_entry, example_of, markdown, render

REPO = Path(__file__).resolve().parents[2]


def test_docs_sdk_md_is_current():
    assert (REPO / "docs" / "sdk.md").read_text() == render(), \
        "docs/sdk.md is stale: run `python -m engine.sdkdocs > docs/sdk.md`"


def test_every_hook_argument_is_documented():
    missing = [f"{hook}({argument})" for _, hook, function in hook_specs()
               for argument in inspect.signature(function).parameters if argument_entry(hook, argument) is None]
    assert missing == [], "add them to engine.sdkdocs.HOOK_ARGUMENTS"


def test_every_hook_has_an_example_that_implements_it():
    for _, hook, function in hook_specs():
        example = example_of(hook, function)
        assert example, f"{hook} has no example (docstring Example:: or engine.sdkdocs.HOOK_EXAMPLES)"
        tree = ast.parse(example)
        implementations = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                           and node.name == hook]
        assert len(implementations) == 1, f"the example of {hook} defines no function {hook}"
        node = implementations[0]
        assert any(ast.unparse(d) == "hookimpl" for d in node.decorator_list), hook
        allowed = set(inspect.signature(function).parameters)
        assert {a.arg for a in node.args.args} <= allowed, f"{hook}: the example takes arguments the spec has not"


def test_every_sdk_function_documents_itself_with_an_example():
    assert sorted(sdk.__all__) == sorted(sdk.EXPORTS)
    for name in sdk.__all__:
        value = getattr(sdk, name)
        assert value.__doc__ and len(value.__doc__.strip()) > 40, name
        if inspect.isfunction(value):
            assert "Example" in value.__doc__, f"sdk.{name} needs an example in its docstring"


def test_docstring_code_blocks_become_fenced_python():
    text = markdown('''Summary. Example::

        x = 1

    After ``it``, see :func:`~engine.sdk.order`.''')
    assert text == "Summary. Example:\n\n```python\nx = 1\n```\n\nAfter `it`, see `order`."


def test_importing_the_sdk_loads_nothing_else():
    code = "import sys, engine.sdk; print(sorted(m for m in sys.modules if m.startswith('engine.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(eval(out.stdout))
    assert "engine.sdk.catalog" not in loaded and "engine.catalog" not in loaded and "engine.web" not in loaded
