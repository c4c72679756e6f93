"""Admin: permissions and navigation (``registry``), the deny-by-default guard
(``guard``), the audit log (``audit``), the HTML pages (``web``: sign-in with
two-factor, own account, staff, roles, tokens, audit, security policy) and
the JSON API (``api``: plugins; ``security_api``: staff, tokens, audit)."""
