"""Payments: gateways offered by plugins, payment records and webhooks."""
