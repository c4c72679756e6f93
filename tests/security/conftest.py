"""Security test fixtures: tests/accounts/fixtures.py (importable as
``account_test_fixtures``, see tests/conftest.py)."""
from __future__ import annotations

from account_test_fixtures import argon2_calls, inbox, mail_shop, shop, sqlite_shop  # noqa: F401
