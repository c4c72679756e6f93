"""PayPal payments for Shopwright.

The plugin module is :mod:`shopwright_payments_paypal.plugin` (entry point
``payments_paypal`` in the ``shopwright.plugins`` group).
"""
