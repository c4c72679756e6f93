"""Admin page tests. ``admin_forms`` (reading a page's form) is importable
from here; ``inbox`` and ``mail_shop`` (an aiosmtpd server and a shop mailing
through it) come from tests/accounts/fixtures.py."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

_path = Path(__file__).resolve().parents[1] / "accounts" / "fixtures.py"
if "account_test_fixtures" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("account_test_fixtures", _path)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["account_test_fixtures"] = _module
    _spec.loader.exec_module(_module)

from account_test_fixtures import inbox, mail_shop  # noqa: E402,F401
