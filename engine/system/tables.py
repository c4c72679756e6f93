"""Tables the core itself needs to run: plugin state, site settings, the outbox."""
from __future__ import annotations

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class PluginState(Table, tablename="plugin_state"):
    """Merchant-controlled state of one installed plugin.

    ``settings`` is a JSON object; values of secret fields are Fernet tokens.
    ``priority`` (null: the manifest's default) orders hook calls, then name.
    """

    name = Varchar(length=100, unique=True, index=True)
    enabled = Boolean(default=False)
    priority = Integer(null=True, default=None)
    settings = Text(default="{}")
    updated_at = Timestamptz()


class PluginFailure(Table, tablename="plugin_failures"):
    """The latest hook failure of one plugin, for staff (``plugins list``,
    ``/readyz``, the admin plugins API): the hook, the message, when it
    happened and how many failures were recorded in all (``failures``).

    Written by the plugin host at most once per
    ``plugins.failure_record_interval_seconds`` per process and plugin; not
    a change-counted table, so a failing plugin never empties the caches.
    """

    plugin = Varchar(length=100, unique=True, index=True)
    hook = Varchar(length=200)
    message = Text(default="")
    failed_at = Timestamptz()
    failures = Integer(default=0)


class SiteSetting(Table, tablename="site_settings"):
    """Key/value settings the merchant edits at run time (active theme, ...). JSON values."""

    key = Varchar(length=200, unique=True, index=True)
    value = Text(default="null")
    updated_at = Timestamptz()


class OutboxEvent(Table, tablename="outbox_events"):
    """A domain event written in the same transaction as the change it describes.

    The relay enqueues unrelayed rows (oldest first) as jobs and then sets
    ``relayed_at``; a crash in between re-enqueues under the same job id. An
    in-process runner first claims the row (``claimed_by``/``claimed_until``),
    so only one process runs it; a claim of a crashed process expires.
    """

    id = Serial(primary_key=True)
    name = Varchar(length=100, index=True)
    payload = Text(default="{}")
    created_at = Timestamptz()
    relayed_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    last_error = Text(null=True, default=None)
    #: which process relays the event, until when (in-process runners only:
    #: several web processes without Redis must not all run the same event)
    claimed_by = Varchar(length=64, null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    #: the W3C trace context of the request that wrote the event (engine.tracing), when traced
    trace_context = Text(null=True, default=None)


class FormSubmission(Table, tablename="form_submissions"):
    """One sending of an admin form that creates something, by the form's
    one-time ``key`` (a hidden field): a second sending of the same form (a
    double click, a reload) finds it and is answered with the first one's
    result (``location``) instead of creating a second record. Only
    :mod:`engine.system.submissions` writes it; rows older than a day go."""

    key = Varchar(length=64, unique=True, index=True)
    location = Text(null=True, default=None)
    created_at = Timestamptz(index=True)
