"""Fulfillment: shipping rates and shipments."""
