"""Tables of request security: server-side sessions and login throttling."""
from __future__ import annotations

from piccolo.columns import DoublePrecision, Integer, Serial, Text, Varchar
from piccolo.table import Table


class Session(Table, tablename="sessions"):
    """A server-side session (used when sessions live in the database).

    ``sid_hash`` is the SHA-256 of the session id: the id itself (the cookie
    value) is never stored, so a copy of the database opens no session.
    ``kind`` is ``shop`` (shoppers) or ``staff`` (the admin); ``user_id`` is
    the signed-in customer or staff member (null: anonymous). Times are Unix
    seconds: the session ends ``idle`` seconds after ``last_seen_at`` or
    ``absolute`` seconds after ``created_at`` (the last sign-in or rotation).
    """

    id = Serial(primary_key=True)
    sid_hash = Varchar(length=64, unique=True, index=True)
    kind = Varchar(length=10, default="shop")
    user_id = Integer(null=True, default=None, index=True)
    data = Text(default="{}")
    created_at = DoublePrecision(default=0)
    last_seen_at = DoublePrecision(default=0, index=True)
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")


class LoginThrottle(Table, tablename="login_throttle"):
    """Failed sign-in attempts per key (``customer:<email>``, ``staff:<email>``,
    ``totp:<staff id>``, ``ip:<address>``) within the current window. Times
    are Unix seconds."""

    id = Serial(primary_key=True)
    key = Varchar(length=400, unique=True, index=True)
    failures = Integer(default=0)
    first_failure_at = DoublePrecision(default=0)
    last_failure_at = DoublePrecision(default=0)


TABLES = [Session, LoginThrottle]
