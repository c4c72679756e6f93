"""Carts: guest carts (the id is the secret) and customer carts, priced on every view.

Public entry points are in :mod:`engine.cart.services`.
"""
