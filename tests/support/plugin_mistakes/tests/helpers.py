"""Tests may import engine.testing, never engine internals."""
from engine.db import sql
from engine.testing import fetch

USED = (sql, fetch)
