"""No open redirect after signing in: the shopper's and the admin's sign-in
accept a ``next`` path on this site only (engine.web.redirects.local_path),
and a ``next`` no header can carry (CR, LF) falls back to the default
instead of failing after the sign-in happened."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from account_test_fixtures import PASSWORD, STAFF_PASSWORD, make_staff, page_token, post_form, sign_up

from engine.web.redirects import local_path

#: ``next`` values a browser would follow to another site (or that cannot be a header)
HOSTILE = [
    "/\t/evil.example/",             # /%09/evil.example/: browsers drop the tab → //evil.example/
    "/\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",              # browsers read \ as /
    "\\\\evil.example/",
    "/\\/evil.example/",
    "\\/evil.example/",
    "/%2F/evil.example/",            # encoded variants, in case something decodes them again
    "/%2f%2fevil.example/",
    "/%5Cevil.example/",
    "/%09/evil.example/",
    "/%0d%0a/evil.example/",
    "/account\r\nSet-Cookie: x=1",   # CR/LF: no header may carry it
    "/account\rX",
    "/account\nX",
    "/\x00/evil.example/",
    "/\u200b/evil.example/",          # invisible characters
    "https://evil.example/",
    "http:evil.example",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "account",
    "/" + "a" * 600,                 # unbounded input
]

#: the same dangers behind the admin's own prefix
ADMIN_HOSTILE = ["/admin\r\nSet-Cookie: x=1", "/admin\n/evil", "/admin/\t/evil.example/", "/admin\\evil",
                 "/admin/\u2028x"]


#: what reaches the sign-in pages: a NUL character is not text and is refused
#: before any view runs (422, ``engine.web.inputs``; see test_nul_next_is_refused_at_the_edge)
SIGN_IN_HOSTILE = [value for value in HOSTILE if "\x00" not in value]


def _query(value: str) -> str:
    return quote(value, safe="")


@pytest.mark.parametrize("value", HOSTILE + ADMIN_HOSTILE)
def test_local_path_refuses_other_sites(value):
    assert local_path(value, "/fallback") == "/fallback"
    assert local_path(value, "/admin", within="/admin") == "/admin"


def test_local_path_keeps_paths_of_this_site():
    assert local_path("/account/orders", "/account") == "/account/orders"
    assert local_path("/search?q=red%20shirt&page=2#results", "/") == "/search?q=red%20shirt&page=2#results"
    assert local_path("/p/café", "/") == "/p/caf%C3%A9"
    assert local_path("/admin/orders/SW-1", "/admin", within="/admin") == "/admin/orders/SW-1"
    assert local_path("/admin", "/x", within="/admin") == "/admin"
    assert local_path("/account", "/admin", within="/admin") == "/admin", "the admin only goes to admin pages"
    assert local_path("/administrator", "/admin", within="/admin") == "/admin"
    assert local_path(None, "/d") == local_path(["/x"], "/d") == local_path("", "/d") == "/d"


async def test_shopper_sign_in_never_redirects_to_another_site(shop):
    await sign_up(shop, "ada@example.test")
    for value in SIGN_IN_HOSTILE:
        client = shop.test_client()
        # a next in the form is refused after the sign-in (not a 500: the sign-in happened) ...
        response = await post_form(client, "/account/login", {"email": "ada@example.test", "password": PASSWORD,
                                                              "next": value})
        assert response.status_code == 303, repr(value)
        assert response.headers["Location"] == "/account", repr(value)
        # ... and the sign-in page carries only a safe value into its form
        page = await (await shop.test_client().get(f"/account/login?next={_query(value)}")).get_data(as_text=True)
        assert 'name="next" value="/account"' in page, repr(value)
    kept = await post_form(shop.test_client(), "/account/login", {"email": "ada@example.test", "password": PASSWORD,
                                                                  "next": "/account/orders"})
    assert kept.headers["Location"] == "/account/orders"


async def test_the_tab_variant_of_the_report(shop):
    """``/account/login?next=/%09/evil.example/`` once answered
    ``303 Location: /\\t/evil.example/`` after signing in."""
    await sign_up(shop, "bob@example.test")
    client = shop.test_client()
    token = await page_token(client, "/account/login?next=/%09/evil.example/")
    response = await client.post("/account/login", form={"csrf_token": token, "email": "bob@example.test",
                                                          "password": PASSWORD, "next": "/\t/evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/account"


async def test_admin_sign_in_never_redirects_to_another_site(sqlite_shop):
    await make_staff("owner@example.test")
    for value in ADMIN_HOSTILE + SIGN_IN_HOSTILE + ["/account", "/administrator"]:
        response = await post_form(sqlite_shop.test_client(), "/admin/login", {
            "email": "owner@example.test", "password": STAFF_PASSWORD, "next": value})
        assert response.status_code == 303, repr(value)
        assert response.headers["Location"] == "/admin", repr(value)
        page = await (await sqlite_shop.test_client().get(f"/admin/login?next={_query(value)}")).get_data(as_text=True)
        assert 'name="next" value="/admin"' in page, repr(value)
    kept = await post_form(sqlite_shop.test_client(), "/admin/login", {
        "email": "owner@example.test", "password": STAFF_PASSWORD, "next": "/admin/orders"})
    assert kept.headers["Location"] == "/admin/orders"



async def test_nul_next_is_refused_at_the_edge(sqlite_shop):
    for path in ("/account/login", "/admin/login"):
        response = await post_form(sqlite_shop.test_client(), path, {"email": "x@example.test", "password": "x",
                                                                     "next": "/\x00/evil.example/"})
        assert response.status_code == 422, path
        page = await sqlite_shop.test_client().get(f"{path}?next=/%00/evil.example/")
        assert page.status_code == 422, path
