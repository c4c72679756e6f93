"""Plugins that are broken on purpose, for the plugin host's tests."""
