"""Orders: placed orders with frozen prices, the order state machine, its
event timeline, stock reservations and fulfillments.

Public entry points: :mod:`engine.orders.services` (read, serialise),
:mod:`engine.orders.transitions` (state changes), :mod:`engine.orders.stock`
(reservation lifecycle).
"""
