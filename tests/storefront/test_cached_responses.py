"""The response cache's entries, from plain values (no app, no request)."""
from __future__ import annotations

import orjson
from werkzeug.datastructures import Headers

from engine.cache.responses import (
    CSRF_MARKER,
    KIND,
    NONCE_MARKER,
    CachedResponse,
    etag_matches,
    response_key,
    storable,
    weak_etag,
)
from engine.cache.store import decode, encode

PAGE = '<script nonce="n1"></script><p>Shirt — €</p>'.encode()
HEADERS = Headers({"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "script-src 'nonce-n1'",
                   "Vary": "Cookie", "X-Request-ID": "abc", "ETag": '"from-the-view"'})


def test_only_plain_public_answers_are_storable():
    assert storable(200, "text/html", Headers({"Cache-Control": "public"}))
    assert storable(200, "application/json", Headers())
    assert not storable(404, "text/html", Headers())
    assert not storable(200, "image/png", Headers())
    assert not storable(200, "text/html", Headers({"set-cookie": "a=b"}))
    assert not storable(200, "text/html", Headers({"Cache-Control": "private, max-age=60"}))
    assert not storable(200, "application/json", Headers({"Cache-Control": "no-store"}))


def test_an_entry_keeps_its_headers_and_fills_fresh_values_for_its_markers():
    entry = CachedResponse.of(PAGE, "text/html", HEADERS, {NONCE_MARKER: "n1"}, "/p/<slug>")
    assert [name for name, _ in entry.headers] == ["Content-Type", "Content-Security-Policy", "Vary", "ETag"]
    assert dict(entry.headers)["ETag"] == entry.etag
    body, headers = entry.filled({NONCE_MARKER: "n2"})
    assert body == PAGE.replace(b"n1", b"n2")
    assert dict(headers)["Content-Security-Policy"] == "script-src 'nonce-n2'"
    assert entry.body == PAGE, "the entry itself is unchanged"


def test_the_etag_ignores_per_response_values_and_pages_with_a_csrf_token_have_none():
    first = CachedResponse.of(PAGE, "text/html", HEADERS, {NONCE_MARKER: "n1"}, "")
    again = CachedResponse.of(PAGE.replace(b"n1", b"n9"), "text/html", HEADERS, {NONCE_MARKER: "n9"}, "")
    changed = CachedResponse.of(PAGE.replace(b"Shirt", b"Skirt"), "text/html", HEADERS, {NONCE_MARKER: "n1"}, "")
    assert first.etag == again.etag == weak_etag(PAGE, {NONCE_MARKER: "n1"}) and first.etag.startswith('W/"')
    assert changed.etag != first.etag
    with_form = CachedResponse.of(PAGE + b"t0k", "text/html", HEADERS, {NONCE_MARKER: "n1", CSRF_MARKER: "t0k"}, "")
    assert with_form.etag is None and dict(with_form.headers)["ETag"] == '"from-the-view"'
    assert CachedResponse.of(b"{}", "application/json", Headers(), {}, "").etag is None


def test_etag_matching_is_weak_and_takes_lists_and_a_star():
    assert etag_matches('W/"a"', 'W/"a"') and etag_matches('"a"', 'W/"a"')
    assert etag_matches('"x", W/"a"', 'W/"a"') and etag_matches(" * ", 'W/"a"')
    assert not etag_matches('"b"', 'W/"a"')


def test_an_entry_is_complete_once_its_final_headers_and_seed_are_known():
    entry = CachedResponse.of(PAGE, "text/html", HEADERS, {NONCE_MARKER: "n1"}, "")
    assert not entry.complete()
    entry.final = [("content-type", "text/html; charset=utf-8")]
    assert entry.complete()
    entry.markers = {NONCE_MARKER: "n1", CSRF_MARKER: "t0k"}
    assert not entry.complete(), "the CSRF token needs the session seed"
    entry.seed = "seed"
    assert entry.complete()
    entry.markers = {NONCE_MARKER: "n1", "other": "x"}
    assert not entry.complete(), "only the nonce and the CSRF token can be minted from plain values"


def test_an_entry_survives_the_json_of_the_shared_layer():
    entry = CachedResponse.of(PAGE, "text/html", HEADERS, {NONCE_MARKER: "n1"}, "/p/<slug>")
    entry.final, entry.seed = [("vary", "Cookie")], None
    assert decode(KIND, orjson.loads(orjson.dumps(encode(KIND, entry)))) == entry


def test_the_key_is_made_of_the_raw_request_values():
    assert response_key("https", b"", b"shop.example", "/c/women", b"page=2") == \
        ("https", "", "shop.example", "/c/women", b"page=2")
