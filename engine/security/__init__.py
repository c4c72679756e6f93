"""Request security state kept on the server: session storage (database or
Redis) and login throttling. The HTTP side — cookies, CSRF, headers, the
Content-Security-Policy — is :mod:`engine.web` (see docs/security.md)."""
