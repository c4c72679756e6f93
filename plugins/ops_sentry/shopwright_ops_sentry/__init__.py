"""Error tracking for Shopwright with Sentry (the ``ops_sentry`` plugin)."""
