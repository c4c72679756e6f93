"""Admin forms that create something are sent once.

A create form carries a one-time key (``{{ submission_field() }}`` in its
template); its POST view is wrapped in :func:`once_per_submission`. The first
sending with a key runs the view; a second one with the same key (a double
click, a reload of the answer, a browser resending) is answered with the first
one's redirect — it waits up to :data:`WAIT_SECONDS` while the first is still
running — and creates nothing. A sending that led nowhere (validation errors)
frees the key, so the corrected form goes through. A POST without a key runs
the view as before (scripts, older pages)."""
from __future__ import annotations

import asyncio
import re
import secrets
import time
from functools import wraps
from typing import Any, Callable

from markupsafe import Markup
from quart import make_response, redirect, request

from engine.system import submissions

FIELD = "submission_key"
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: how long a second sending waits for the first one's answer
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.05


def submission_field() -> Markup:
    """The hidden field with a fresh one-time key, for a create form's template."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{secrets.token_urlsafe(24)}">')


def once_per_submission(view: Callable) -> Callable:
    """Run ``view`` once per form key (see the module's docstring)."""

    @wraps(view)
    async def sent_once(*args: Any, **kwargs: Any):
        key = str((await request.form).get(FIELD, ""))
        if not KEY.fullmatch(key):
            return await view(*args, **kwargs)
        deadline = time.monotonic() + WAIT_SECONDS
        while not await submissions.claim(key):
            known, location = await submissions.outcome(key)
            if location:
                return redirect(location, 303)
            if not known:
                continue  # the first sending led nowhere and freed the key: take it
            if time.monotonic() > deadline:
                from engine.admin.rendering import render_admin

                return await render_admin("admin/message.html", status=409, title="Still working",
                                          message="This form was sent twice; the first sending is still being "
                                                  "processed. Look for the result in a moment.")
            await asyncio.sleep(POLL_SECONDS)
        try:
            response = await make_response(await view(*args, **kwargs))
        except BaseException:
            await submissions.forget(key)
            raise
        if 300 <= response.status_code < 400 and response.location:
            await submissions.finish(key, response.location)
        else:
            await submissions.forget(key)
        return response

    return sent_once
