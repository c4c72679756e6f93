"""Category page benchmark: ``bench/pages.py --pages category`` (kept for the
command lines in older notes). See ``bench/pages.py`` for what is measured.

Usage: python bench/category_page.py [--postgres] [--workers 1] [--seconds 10] ...
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402

if __name__ == "__main__":
    if not any(arg.startswith("--pages") for arg in sys.argv[1:]):
        sys.argv += ["--pages", "category"]
    pages.main()
