"""Admin: permissions, navigation and (later) the admin pages."""
