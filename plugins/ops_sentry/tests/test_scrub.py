"""Personal data scrubbing (``before_send``), one test per kind of data, on
events shaped as the SDK makes them."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shopwright_ops_sentry.client import before_send
from shopwright_ops_sentry.scrub import FILTERED, scrub_event, scrub_text
from shopwright_ops_sentry.settings import SentrySettings


def event(**parts) -> dict:
    base = {"event_id": "a" * 32, "level": "error", "tags": {"plugin": "fragile"},
            "exception": {"values": [{"type": "RuntimeError", "value": "", "stacktrace": {"frames": []}}]}}
    base.update(parts)
    return base


def sent(original: dict) -> str:
    return json.dumps(scrub_event(original))


def test_email_addresses_are_removed_everywhere():
    text = sent(event(exception={"values": [{"type": "E", "value": "no account for ada.l+shop@mail.example.co.uk"}]},
                      extra={"note": "mail bob@example.test"}, breadcrumbs={"values": [{"message": "x@y.example"}]},
                      request={"data": {"email": "eve@example.test"}}))
    assert "@" not in text.replace("[Filtered]", "")


def test_names_and_addresses_are_removed_by_key():
    address = {"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines", "line1": "12 Baker St",
               "line2": "Flat 3", "city": "London", "postal_code": "NW1 6XE", "region": "Greater London",
               "country": "GB", "phone": "+44 20 7946 0018"}
    text = sent(event(request={"data": {"shipping_address": dict(address), "billing": dict(address)},
                               "query_string": "first_name=Ada&last_name=Lovelace&city=London"},
                      user={"id": "42", "username": "ada", "email": "ada@example.test", "ip_address": "192.0.2.1",
                            "name": "Ada Lovelace"}))
    for value in ("Lovelace", "Baker St", "Flat 3", "London", "NW1 6XE", "+44 20", "192.0.2.1", "Analytical"):
        assert value not in text, value
    assert json.loads(text)["user"] == {"id": "42"}


def test_tokens_are_removed_from_urls_query_strings_and_messages():
    token = "q9X2vR7tLm3NpWz8KfYb1HsGd4"
    text = sent(event(request={"url": f"https://shop.test/api/v1/carts/{token}/checkout",
                               "query_string": "token=short1&x=1"},
                      exception={"values": [{"type": "E", "value": f"access token {token} expired"}]},
                      extra={"api_token": "swt_abc"}))
    assert token not in text and "short1" not in text and "swt_abc" not in text
    assert "/api/v1/carts/[Filtered]/checkout" in text and "x=1" in text


def test_cookies_are_removed():
    text = sent(event(request={"cookies": {"sw_session": "c00kie-value-1"},
                               "headers": {"Cookie": "sw_session=c00kie-value-2; theme=dark",
                                           "Set-Cookie": "a=c00kie-value-3"}}))
    assert "c00kie-value" not in text


def test_authorization_headers_are_removed():
    for headers in ({"Authorization": "Bearer swt_LiveToken123"}, [["authorization", "Basic YWRhOnNlY3JldA=="]]):
        text = sent(event(request={"headers": headers}, breadcrumbs={"values": [
            {"category": "httplib", "data": {"url": "https://api.test/x"}, "message": "Bearer swt_LiveToken123"}]}))
        assert "swt_LiveToken123" not in text and "YWRhOnNlY3JldA" not in text


@pytest.mark.parametrize("number", ["4242424242424242", "4242 4242 4242 4242", "4000-0566-5566-5556",
                                    "378282246310005", "6011111111111117000"])
def test_card_like_digit_runs_are_removed(number):
    text = sent(event(exception={"values": [{"type": "E", "value": f"card {number} declined"}]},
                      request={"data": {"note": number}}, extra={"pan_hint": number}))
    assert number not in text
    assert scrub_text("order 100045 of 3 items, total 12999") == "order 100045 of 3 items, total 12999"


def test_an_exception_already_sent_is_not_sent_again_nor_its_consequences():
    cause = ValueError("plugin broke")
    try:
        raise RuntimeError("the request failed") from cause
    except RuntimeError as exc:
        chained = exc
    assert before_send(event(), {"exc_info": (ValueError, cause, None)}) is not None
    assert before_send(event(), {"exc_info": (ValueError, cause, None)}) is None
    assert before_send(event(), {"exc_info": (RuntimeError, chained, None)}) is None
    fresh = KeyError("another")
    assert before_send(event(), {"exc_info": (KeyError, fresh, None)})["exception"]


def test_settings_refuse_a_dsn_that_is_not_one_and_default_the_release():
    with pytest.raises(ValidationError, match="dsn"):
        SentrySettings(dsn="not a dsn")
    settings = SentrySettings(dsn=" https://key@sentry.example/7 ")
    assert settings.dsn == "https://key@sentry.example/7" and settings.release_tag().startswith("shopwright@")
    assert FILTERED == "[Filtered]"
