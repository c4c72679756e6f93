"""System tables: plugin state, site settings and the event outbox."""
