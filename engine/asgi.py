"""ASGI entry point for Hypercorn worker processes: ``engine.asgi:app``.
Settings come from the environment and ``SHOPWRIGHT_CONFIG``."""
from engine.app import create_app

app = create_app()
