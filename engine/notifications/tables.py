"""E-mails sent, one row per (event, template): what makes sending idempotent."""
from __future__ import annotations

from piccolo.columns import Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class MailDelivery(Table, tablename="mail_deliveries"):
    """``dedupe_key`` is ``<event id>:<template>`` (unique): a re-run of the job
    that already sent the mail sends nothing."""

    id = Serial(primary_key=True)
    dedupe_key = Varchar(length=200, unique=True, index=True)
    template = Varchar(length=100)
    recipient = Varchar(length=320)
    subject = Varchar(length=500, default="")
    message_id = Varchar(length=300, default="")
    order_number = Varchar(length=32, default="", index=True)
    status = Varchar(length=16, default="sent")
    error = Text(default="")
    sent_at = Timestamptz()


TABLES = [MailDelivery]
