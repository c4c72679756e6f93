"""Razorpay payments for Shopwright.

The plugin module is :mod:`shopwright_payments_razorpay.plugin` (entry point
``payments_razorpay`` in the ``shopwright.plugins`` group).
"""
