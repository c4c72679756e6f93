"""Checkout: validation and placing orders."""
