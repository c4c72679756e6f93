"""Core test configuration. Fixtures come from ``engine.testing`` (the pytest11 plugin)."""
