"""A plugin package with one of each mistake ``shopwright plugin check`` finds."""
