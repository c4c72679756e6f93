"""Outgoing webhooks: merchants subscribe URLs to event types; each delivery
is a signed, retried, logged background job (see docs/webhooks.md)."""
