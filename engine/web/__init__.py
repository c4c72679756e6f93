"""What every HTTP surface (storefront, admin, API) shares: request ids and
metrics (:mod:`~engine.web.requests`), problem+json errors
(:mod:`~engine.web.problems`), server-side sessions and CSRF
(:mod:`~engine.web.sessions`, :mod:`~engine.web.csrf`), security headers and
the CSP (:mod:`~engine.web.headers`), the admin access guard
(:mod:`~engine.web.guard`), rate limits, response caching and the fast path.

It sits between the surfaces and the domain services: it may call services,
never a surface (a surface registers what web needs from it, e.g. the pages
of :mod:`~engine.web.pages`).
"""
