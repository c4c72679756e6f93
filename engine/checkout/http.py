"""Wires the cart, checkout, order, promotion and webhook APIs into an app."""
from __future__ import annotations

from quart import Quart



def install(app: Quart) -> None:
    from engine.cart import api as cart_api
    from engine.checkout import api as checkout_api
    from engine.orders import api as orders_api
    from engine.payments import webhooks
    from engine.pricing import api as pricing_api

    for blueprint in (cart_api.blueprint, checkout_api.blueprint, orders_api.blueprint, orders_api.admin,
                      pricing_api.blueprint, webhooks.blueprint):
        app.register_blueprint(blueprint)
