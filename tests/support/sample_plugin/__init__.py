"""A sample plugin used by the core tests: a hook, a table with a migration, a job,
a route and settings with a secret field."""
