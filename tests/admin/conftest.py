"""Admin page tests; ``admin_forms`` (reading a page's form) is importable from here."""
from __future__ import annotations

import sys
from pathlib import Path

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))
