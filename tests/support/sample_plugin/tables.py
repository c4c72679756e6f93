from __future__ import annotations

from piccolo.columns import Integer, Text, Varchar
from piccolo.table import Table


class SampleNote(Table, tablename="sample_notes"):
    """What the sample plugin's job and event handler write (one row per key)."""

    key = Varchar(length=200, unique=True)
    body = Text(default="")
    runs = Integer(default=0)
