"""Stripe card payments for Shopwright.

The plugin module is :mod:`shopwright_payments_stripe.plugin` (entry point
``payments_stripe`` in the ``shopwright.plugins`` group).
"""
