from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from odoo_standin import OdooStandIn  # noqa: E402


@pytest.fixture
def odoo():
    """A started stand-in Odoo server (``odoo.url`` is its base URL)."""
    standin = OdooStandIn()
    standin.url = standin.start()
    yield standin
    standin.stop()
