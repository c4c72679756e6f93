"""A running shop does not load what Piccolo imports only to write migration
files (engine/db/deferred.py): ``black``, about 5.6 MB in every worker."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from engine.db.deferred import DeferredModule, defer_import, load

SCRIPT = textwrap.dedent("""
    import sys
    import engine.asgi  # the web worker's app, with every bundled plugin's tables
    import piccolo.conf.apps

    print(type(sys.modules["black"]).__name__, "black.linegen" in sys.modules)
    # What Piccolo does when it writes a migration file: the real formatter runs.
    formatted = piccolo.conf.apps.black.format_str("x = ( 1 )", mode=piccolo.conf.apps.black.FileMode())
    print(repr(formatted), type(sys.modules["black"]).__name__)
""")


def test_the_web_worker_has_not_loaded_black_yet_formats_with_it(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.strip().splitlines()[-2:]
    assert before == "DeferredModule False"
    assert after == "'x = 1\\n' module"


def test_a_deferred_module_loads_on_first_attribute(monkeypatch):
    monkeypatch.delitem(sys.modules, "json.tool", raising=False)
    defer_import("json.tool")
    stand_in = sys.modules["json.tool"]
    assert isinstance(stand_in, DeferredModule)
    assert callable(stand_in.main)  # the attribute read imports the real module
    assert not isinstance(sys.modules["json.tool"], DeferredModule)
    assert load("json.tool") is sys.modules["json.tool"]


def test_a_module_that_is_not_installed_is_not_deferred():
    defer_import("shopwright_no_such_module")
    assert "shopwright_no_such_module" not in sys.modules
