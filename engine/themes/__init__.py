"""Storefront themes: installable distributions under the ``shopwright.themes`` group."""
