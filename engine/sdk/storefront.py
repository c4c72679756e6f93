"""Storefront asset slots: the scripts and stylesheets a plugin puts on the
shop's pages (``storefront_assets``), with the CSP sources they need."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from engine.protocols import StorefrontAsset, StorefrontBlock, StorefrontPage

__all__ = ["StorefrontAsset", "StorefrontBlock", "StorefrontPage", "origin_of", "script", "storefront_changed",
           "style"]


def _pages(pages: str | Iterable[str]) -> tuple[str, ...]:
    return (pages,) if isinstance(pages, str) else tuple(pages)


def script(url: str | None = None, *, static: str | None = None, pages: str | Iterable[str] = (),
           csp: Mapping[str, Sequence[str]] | None = None, defer: bool = True, module: bool = False
           ) -> StorefrontAsset:
    """A script: ``url`` (absolute, or a path on this site) or ``static`` (a
    file in the plugin's ``static`` folder), on ``pages`` (empty: every
    page), needing the CSP sources ``csp`` (the URL's own origin is added to
    ``script-src`` by itself). Example (a payment provider's script on the
    checkout and order pages)::

        sdk.script(settings.js_url, pages=("checkout", "order"),
                   csp={"frame-src": [sdk.origin_of(settings.js_url)], "connect-src": [settings.api_base]})
    """
    return StorefrontAsset("script", url=url, static=static, pages=_pages(pages), csp=dict(csp or {}),
                           defer=defer, module=module)


def style(url: str | None = None, *, static: str | None = None, pages: str | Iterable[str] = (),
          csp: Mapping[str, Sequence[str]] | None = None) -> StorefrontAsset:
    """A stylesheet, like :func:`script`. Example::

        sdk.style(static="css/widget.css", pages="product")
    """
    return StorefrontAsset("style", url=url, static=static, pages=_pages(pages), csp=dict(csp or {}))


def origin_of(url: str) -> str:
    """The origin (``scheme://host[:port]``) of an absolute URL, as a CSP
    source; ValueError when ``url`` is not absolute http(s). Example::

        sdk.origin_of("https://js.stripe.com/v3/")   # "https://js.stripe.com"
    """
    parts = urlsplit(url if isinstance(url, str) else "")
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise ValueError(f"{str(url)[:200]!r} is not an absolute http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


async def storefront_changed(runtime: Any) -> None:
    """Tell every process that what your ``storefront_blocks`` show changed
    (e.g. lists a job just computed into your own tables): cached storefront
    pages are dropped everywhere on their next request. Call it inside the
    transaction that wrote the change, so no page is cached between the two.
    Changes to the catalog, stock and plugin settings are seen without it.
    Example::

        async with sdk.transaction(runtime):
            await Lists.delete(force=True)
            await Lists.insert(*rows)
            await sdk.storefront_changed(runtime)
    """
    from engine.cache.counters import bump

    await bump(runtime.database.engine, "site")
