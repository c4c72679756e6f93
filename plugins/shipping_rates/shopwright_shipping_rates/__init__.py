"""Shipping rates by zone for Shopwright, from CSV rate tables.

The plugin module is :mod:`shopwright_shipping_rates.plugin` (entry point
``shipping_rates`` in the ``shopwright.plugins`` group).
"""
