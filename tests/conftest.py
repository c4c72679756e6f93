"""Core test configuration. Fixtures come from ``engine.testing`` (the pytest11 plugin)."""
import os

import pytest


@pytest.fixture
def cli_env(tmp_path) -> dict:
    """Environment for running ``shopwright`` as a subprocess against a fresh SQLite file."""
    return {
        "SHOPWRIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "SHOPWRIGHT_SECRET_KEY": "cli-test-secret-key-0123456789",
        "SHOPWRIGHT_CONFIG": os.devnull,
    }
