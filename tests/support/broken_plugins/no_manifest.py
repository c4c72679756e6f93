"""A module with hooks but no MANIFEST."""
