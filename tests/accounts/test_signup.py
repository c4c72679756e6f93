"""Sign-up tells nobody whether an address has an account: the answer is the
same (status, headers, page), the work is the same (one argon2 hash), and
the address's owner is told by e-mail (through the real path: outbox → job
→ aiosmtplib → an aiosmtpd server)."""
from __future__ import annotations

import re

from account_test_fixtures import PASSWORD, login, page_token, sign_up

from engine.db.sql import fetchval

OTHER_PASSWORD = "another sturdy passphrase 7"
#: per-response secrets: CSP nonces and CSRF tokens
_SECRETS = re.compile(r'(nonce-|nonce=")[^"\';]+|(name="csrf_token" value=")[^"]+')
#: headers whose values are per response by design
_PER_RESPONSE = {"x-request-id", "set-cookie", "date"}


def _shape(response, body: str) -> dict:
    """What an observer compares: status, headers (per-response values
    masked) and the body with its nonces and tokens masked."""
    headers = {name.lower(): _SECRETS.sub(r"\1\2…", value) for name, value in response.headers.items()
               if name.lower() not in _PER_RESPONSE}
    cookies = sorted(value.split("=", 1)[0] for name, value in response.headers.items() if name.lower() == "set-cookie")
    return {"status": response.status_code, "headers": headers, "cookies": cookies, "body": _SECRETS.sub(r"\1\2…", body)}


async def _sign_up(app, email: str, password: str) -> tuple[dict, dict, object]:
    """Sign up with a fresh client and follow the redirect like a browser;
    the shapes of both answers and the client."""
    client = app.test_client()
    token = await page_token(client, "/account/signup")
    answer = await client.post("/account/signup", form={"csrf_token": token, "email": email, "password": password})
    first = _shape(answer, await answer.get_data(as_text=True))
    page = await client.get(answer.headers["Location"])
    return first, _shape(page, await page.get_data(as_text=True)), client


async def test_sign_up_answers_alike_whether_or_not_the_address_has_an_account(mail_shop, inbox, argon2_calls):
    await sign_up(mail_shop, "owner@example.test", name="Olive Owner")
    await inbox.wait_for(1)  # the owner's own confirmation e-mail
    argon2_calls.hashes = argon2_calls.verifications = 0

    taken, taken_page, taken_client = await _sign_up(mail_shop, "Owner@Example.test", OTHER_PASSWORD)
    taken_work = (argon2_calls.hashes, argon2_calls.verifications)
    fresh, fresh_page, fresh_client = await _sign_up(mail_shop, "newcomer@example.test", OTHER_PASSWORD)
    fresh_work = (argon2_calls.hashes - taken_work[0], argon2_calls.verifications - taken_work[1])

    assert taken == fresh and taken_page == fresh_page, "the same answer either way"
    assert taken["status"] == 303 and taken["headers"]["location"] == "/account/signup/sent"
    assert "Check your inbox" in taken_page["body"]
    # the same work either way: one password hash each (not a stopwatch)
    assert taken_work == fresh_work == (1, 0)
    # nobody is signed in by sign-up
    for client in (taken_client, fresh_client):
        assert "Signed in as" not in await (await client.get("/account")).get_data(as_text=True)

    messages = await inbox.wait_for(3)
    by_address = {message["To"]: message for message in messages[1:]}
    assert set(by_address) == {"owner@example.test", "newcomer@example.test"}
    notice = by_address["owner@example.test"]
    assert notice["Subject"] == "Someone tried to sign up at Test Shop with your address"
    text = notice.get_body(("plain",)).get_content()
    assert "Olive Owner" in text and "http://shop.example/account/login" in text
    assert "http://shop.example/account/reset" in text and "token=" not in text
    assert "Confirm your e-mail" in by_address["newcomer@example.test"]["Subject"]

    # the existing account is untouched: its password still works, the other does not
    assert await fetchval("SELECT COUNT(*) FROM customers WHERE email = {}", "owner@example.test") == 1
    assert (await login(mail_shop.test_client(), "owner@example.test", OTHER_PASSWORD)).status_code == 401
    assert (await login(mail_shop.test_client(), "owner@example.test", PASSWORD)).status_code == 303
    assert (await login(mail_shop.test_client(), "newcomer@example.test", OTHER_PASSWORD)).status_code == 303


async def test_the_owner_is_told_at_most_once_an_hour(shop):
    await sign_up(shop, "owner@example.test")
    owner = await fetchval("SELECT id FROM customers WHERE email = {}", "owner@example.test")
    for _ in range(3):
        assert (await _sign_up(shop, "owner@example.test", OTHER_PASSWORD))[0]["status"] == 303
    assert await fetchval("SELECT COUNT(*) FROM account_tokens WHERE customer = {} AND purpose = {}", owner,
                          "signup_attempt") == 1
    assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = {}", "account_email") == 2, \
        "one confirmation, one notice"


async def test_sign_up_refuses_bad_input_alike(shop):
    await sign_up(shop, "owner@example.test")
    answers = []
    for email in ("owner@example.test", "newcomer@example.test"):
        client = shop.test_client()
        token = await page_token(client, "/account/signup")
        response = await client.post("/account/signup", form={"csrf_token": token, "email": email,
                                                               "password": "password1234"})
        body = await response.get_data(as_text=True)
        answers.append((response.status_code, _SECRETS.sub("", body).replace(email, "<email>")))
    assert answers[0] == answers[1] and answers[0][0] == 422 and "too common" in answers[0][1]
    assert await fetchval("SELECT COUNT(*) FROM customers") == 1
