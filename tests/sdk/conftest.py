"""SDK test fixtures: the staff sign-in helpers of the account tests."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_path = Path(__file__).resolve().parents[1] / "accounts" / "fixtures.py"
if "account_test_fixtures" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("account_test_fixtures", _path)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["account_test_fixtures"] = _module
    _spec.loader.exec_module(_module)
