"""Account test fixtures: see fixtures.py (shared with tests/security; tests/conftest.py
makes it importable as ``account_test_fixtures``)."""
from __future__ import annotations

from account_test_fixtures import argon2_calls, inbox, mail_shop, shop, sqlite_shop  # noqa: F401
