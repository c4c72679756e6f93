"""Scripts and stylesheets plugins put on storefront pages (the
``storefront_assets`` call site), and the CSP sources they bring.

:func:`page_assets` asks the active plugins for one page and answers what
the page template's plugin slot renders (``partials/plugin_assets.html``:
``<link>``/``<script>`` elements with the page's CSP nonce) and the sources
:func:`engine.web.headers.csp_header` adds to that page's policy. The page's
name is its template's (:func:`page_name`). Checks, each failure leaving the
asset out with a warning: a known ``kind``; exactly one of ``url`` (an
``http(s)://`` URL or a path on this site, without quotes, spaces or angle
brackets, at most :data:`MAX_URL` characters) and ``static`` (a file in the
plugin's ``static`` folder, served versioned); ``csp`` directives among
:data:`DIRECTIVES` with at most :data:`MAX_SOURCES` sources each (their
syntax is checked where the policy is built). The origin of an absolute
``url`` is added to ``script-src`` or ``style-src``. A plugin whose hook
raises is skipped (logged).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog

from engine.protocols import StorefrontAsset
from engine.themes.assets import AssetNotFound, AssetResolver

log = structlog.get_logger("shopwright.storefront")

DIRECTIVES = ("script-src", "style-src", "frame-src", "connect-src", "img-src", "font-src")
MAX_URL = 2000
MAX_SOURCES = 20
MAX_ASSETS = 20
URL = re.compile(r"^(?:https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s\"'<>`]*)?|/[^/\s\"'<>`][^\s\"'<>`]*)$")

_resolvers: dict[tuple[str, str], AssetResolver] = {}


@dataclass(frozen=True)
class PageAssets:
    """What a page gets: ``items`` (``{kind, url, defer, module, plugin}`` in
    hook order, for the template) and ``csp`` (directive → sources)."""

    items: tuple[dict[str, Any], ...] = ()
    csp: dict[str, list[str]] = field(default_factory=dict)


NONE = PageAssets()


def page_name(template: str) -> str:
    """The page a template renders: its first path segment without
    ``.html`` (``product.html`` → ``product``, ``account/login.html`` →
    ``account``)."""
    return template.split("/", 1)[0].removesuffix(".html")


def _static_url(runtime: Any, plugin: str, relative: str) -> str:
    manifest = runtime.host.get(plugin).manifest
    folder: Path | None = manifest.static if manifest is not None else None
    if folder is None:
        raise AssetNotFound(f"plugin {plugin!r} has no static folder")
    key = (plugin, str(folder))
    resolver = _resolvers.get(key)
    if resolver is None:
        resolver = _resolvers[key] = AssetResolver([(plugin, folder)], kind="plugin")
    return resolver.url(relative)


def _checked(runtime: Any, plugin: str, asset: Any) -> dict[str, Any]:
    """The template item of ``asset``; ValueError saying what is wrong."""
    if not isinstance(asset, StorefrontAsset):
        raise ValueError(f"{asset!r} is not a StorefrontAsset")
    if asset.kind not in ("script", "style"):
        raise ValueError(f"kind {asset.kind!r} is not 'script' or 'style'")
    if (asset.url is None) == (asset.static is None):
        raise ValueError("give exactly one of url and static")
    if asset.url is not None:
        if not isinstance(asset.url, str) or len(asset.url) > MAX_URL or not URL.match(asset.url):
            raise ValueError(f"url {str(asset.url)[:100]!r} is not an http(s) URL or a path on this site")
        url = asset.url
    else:
        if not isinstance(asset.static, str) or len(asset.static) > MAX_URL:
            raise ValueError("static must be a relative path")
        try:
            url = _static_url(runtime, plugin, asset.static)
        except AssetNotFound as exc:
            raise ValueError(str(exc)) from None
    for directive, sources in (asset.csp or {}).items():
        if directive not in DIRECTIVES:
            raise ValueError(f"CSP directive {directive!r} is not one of {', '.join(DIRECTIVES)}")
        if isinstance(sources, str) or len(sources) > MAX_SOURCES:
            raise ValueError(f"{directive}: give a list of at most {MAX_SOURCES} sources")
    return {"kind": asset.kind, "url": url, "defer": bool(asset.defer), "module": bool(asset.module),
            "plugin": plugin}


def _wanted(asset: Any, page: str) -> bool:
    pages = getattr(asset, "pages", ())
    if isinstance(pages, str):
        pages = (pages,)
    return not pages or page in pages


async def page_assets(runtime: Any, page: str) -> PageAssets:
    """The assets of the active plugins for ``page``, and its CSP sources."""
    items: list[dict[str, Any]] = []
    csp: dict[str, list[str]] = {}
    # a failing plugin is skipped: the page renders without its assets
    for plugin, result in await runtime.host.hook("storefront_assets", page=page):
        assets = result if isinstance(result, (list, tuple)) else [result]
        for asset in [a for a in assets if _wanted(a, page)][:MAX_ASSETS]:
            try:
                item = _checked(runtime, plugin, asset)
            except ValueError as exc:
                log.warning("storefront_assets.refused", plugin=plugin, page=page, problem=str(exc))
                continue
            items.append(item)
            sources = {directive: list(values) for directive, values in (asset.csp or {}).items()}
            if "://" in item["url"]:
                parts = urlsplit(item["url"])
                directive = "script-src" if asset.kind == "script" else "style-src"
                sources.setdefault(directive, []).append(f"{parts.scheme}://{parts.netloc}")
            for directive, values in sources.items():
                bucket = csp.setdefault(directive, [])
                bucket.extend(str(value) for value in values if str(value) not in bucket)
    if not items and not csp:
        return NONE
    return PageAssets(tuple(items), csp)
