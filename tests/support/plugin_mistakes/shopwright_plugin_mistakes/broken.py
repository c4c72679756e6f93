"""Mistake: imports a dependency that is not installed."""

import shopwright_missing_dependency  # noqa: F401
