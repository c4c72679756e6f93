"""Pricing: base price -> adjustments -> tax, each step a hook."""
