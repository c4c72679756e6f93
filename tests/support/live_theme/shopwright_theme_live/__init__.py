"""A child theme of ``default`` for tests/test_live_install.py: every page carries
a ``live-theme`` banner."""
from __future__ import annotations

from pathlib import Path

from engine import ThemeManifest

MANIFEST = ThemeManifest(
    name="live",
    title="Live (tests)",
    version="0.1.0",
    engine=">=0.1,<1",
    parent="default",
    templates=Path(__file__).resolve().parent / "templates",
)
