"""ERP synchronisation for Shopwright.

The plugin module is :mod:`shopwright_erp_sync.plugin` (entry point
``erp_sync`` in the ``shopwright.plugins`` group).
"""
