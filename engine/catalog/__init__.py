"""The catalog domain: products, variants, categories, attributes, collections,
images, warehouses and stock, with search, import/export and the JSON API.

Public entry points are the async service functions in
:mod:`engine.catalog.services`; they return plain JSON-ready dicts.
"""
