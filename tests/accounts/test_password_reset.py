"""Password reset and e-mail verification links: e-mailed through the real
path (outbox event → job → aiosmtplib → an aiosmtpd server), single use,
expiring."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

from account_test_fixtures import PASSWORD, login, page_token, post_form, sign_up

from engine.db.sql import fetch, fetchval

LINK = re.compile(r"http://shop\.example(/account/(?:reset|verify)\?token=[\w.-]+)")


def _link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    found = LINK.search(text)
    assert found and found.group(1).replace("&", "&amp;") in html
    return found.group(1)


async def test_reset_link_is_emailed_over_smtp_works_once_and_expires(mail_shop, inbox):
    await sign_up(mail_shop, "ada@example.test")
    verification = (await inbox.wait_for(1))[0]
    assert verification["To"] == "ada@example.test" and "Confirm your e-mail" in verification["Subject"]

    visitor = mail_shop.test_client()
    asked = await post_form(visitor, "/account/reset", {"email": "ada@example.test"})
    assert asked.status_code == 200 and "Check your inbox" in await asked.get_data(as_text=True)
    unknown = await post_form(visitor, "/account/reset", {"email": "nobody@example.test"})
    assert unknown.status_code == 200
    nonce = re.compile(r'nonce="[^"]+"')
    assert nonce.sub("", await unknown.get_data(as_text=True)) == nonce.sub("", await asked.get_data(as_text=True)), \
        "the same answer whether or not the account exists"
    message = (await inbox.wait_for(2))[1]
    await asyncio.sleep(0.3)
    assert len(inbox.messages) == 2, "no e-mail for an unknown address"
    assert message["To"] == "ada@example.test" and message["From"] == "Test Shop <shop@shop.example>"
    assert "Reset your Test Shop password" == message["Subject"]
    link = _link(message)
    token = link.split("token=")[1]
    assert await fetchval("SELECT COUNT(*) FROM account_tokens WHERE salt = {} OR salt = {}", token,
                          token.split(".")[1]) == 0, "the token itself is not stored"

    form_page = await visitor.get(link)
    assert form_page.status_code == 200
    weak = await post_form(visitor, "/account/reset", {"token": token, "new_password": "password1234"}, token_from=link)
    assert weak.status_code == 422 and "too common" in await weak.get_data(as_text=True)
    done = await post_form(visitor, "/account/reset", {"token": token, "new_password": "a fresh passphrase 99"},
                           token_from=link)
    assert done.status_code == 200 and "new password is set" in await done.get_data(as_text=True)
    assert (await login(visitor, "ada@example.test", "a fresh passphrase 99")).status_code == 303
    assert (await login(mail_shop.test_client(), "ada@example.test", PASSWORD)).status_code == 401

    again = await mail_shop.test_client().get(link)
    assert again.status_code == 400, "single use"
    reuse_client = mail_shop.test_client()
    reuse = await post_form(reuse_client, "/account/reset", {"token": token, "new_password": "a third passphrase 77"},
                            token_from="/account/reset")
    assert reuse.status_code == 400
    assert (await login(reuse_client, "ada@example.test", "a third passphrase 77")).status_code == 401

    # an expired link does nothing
    await post_form(visitor, "/account/reset", {"email": "ada@example.test"})
    late = _link((await inbox.wait_for(3))[2])
    await fetch("UPDATE account_tokens SET expires_at = {} WHERE purpose = 'reset_password' AND used_at IS NULL",
                datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert (await mail_shop.test_client().get(late)).status_code == 400
    expired = await post_form(mail_shop.test_client(), "/account/reset",
                              {"token": late.split("token=")[1], "new_password": "too late passphrase"},
                              token_from="/account/reset")
    assert expired.status_code == 400


async def test_a_new_reset_link_retires_the_older_one(mail_shop, inbox):
    await sign_up(mail_shop, "bob@example.test")
    await inbox.wait_for(1)
    client = mail_shop.test_client()
    await post_form(client, "/account/reset", {"email": "bob@example.test"})
    first = _link((await inbox.wait_for(2))[1])
    await post_form(client, "/account/reset", {"email": "bob@example.test"})
    second = _link((await inbox.wait_for(3))[2])
    assert first != second
    assert (await client.get(first)).status_code == 400
    assert (await client.get(second)).status_code == 200


async def test_email_verification_link(mail_shop, inbox):
    client = await sign_up(mail_shop, "carol@example.test")
    account = await client.get("/account")
    assert "not confirmed yet" in await account.get_data(as_text=True)
    link = _link((await inbox.wait_for(1))[0])
    assert "/account/verify?token=" in link
    confirmed = await client.get(link)
    assert confirmed.status_code == 200 and "confirmed" in await confirmed.get_data(as_text=True)
    assert await fetchval("SELECT email_verified_at FROM customers WHERE email = {}", "carol@example.test")
    assert (await client.get(link)).status_code == 400, "single use"
    assert "not confirmed yet" not in await (await client.get("/account")).get_data(as_text=True)


async def test_reset_requests_are_throttled(make_app, inbox):
    app = await make_app(security={"login_max_failures": 3},
                         mail={"smtp_host": "127.0.0.1", "smtp_port": inbox.port})
    await sign_up(app, "dan@example.test")
    client = app.test_client()
    statuses = [(await post_form(client, "/account/reset", {"email": "dan@example.test"})).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    await page_token(client, "/account/reset")
