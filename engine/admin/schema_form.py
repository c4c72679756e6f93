"""Forms generated from a pydantic settings model (plugin and theme settings).

:func:`fields` turns a model and its current values into :class:`FormField`
descriptions the template ``admin/_settings_fields.html`` renders; :func:`parse`
turns the submitted form back into the values to validate, with the errors of
values that could not even be read (a word in a number field). The model
validates the rest: its per-field errors (dotted paths) are put back on the
fields with :func:`with_errors`.

Field kinds, from the annotation:

- ``Literal[...]`` → a select of its choices; ``bool`` → a checkbox;
- ``int`` / ``float`` / ``Decimal`` → a number; an ``int`` marked
  ``json_schema_extra={"amount": True}`` is an amount in minor units, shown
  and entered in major units of the store's currency (``12.50`` → ``1250``);
- a nested model → its fields, named ``parent.child``;
- ``str`` → text (a colour input when the current value is ``#rrggbb``); a
  field named ``image`` or ``*_image`` (or marked ``{"image": True}``) is an
  image path with a file input beside it (``<name>__upload``: the view stores
  the upload and puts its path in the field, see :mod:`engine.admin.themes`);
  a :func:`engine.secret` field → a password input that is never filled:
  empty keeps the stored secret, the "clear" box empties it;
- anything else (lists, dicts) → a JSON text area.

Secrets never leave the server: a secret field's value is never put into a
:class:`FormField` (only whether one is set).
"""
from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from engine.admin.amounts import AmountError, format_major, parse_amount
from engine.manifest import secret_fields

AMOUNT = "amount"
IMAGE = "image"
#: suffix of the file input beside an image field
UPLOAD = "__upload"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: suffix of the checkbox that empties a secret
CLEAR = "__clear"


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text, password, number, amount, checkbox, select, colour, image, json
    value: str = ""
    help: str = ""
    choices: tuple[str, ...] = ()
    optional: bool = False
    is_set: bool = False  # a secret that holds a value
    step: str = ""
    group: str = ""  # the nested model's label, for a fieldset
    error: str = ""
    currency: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``None`` in a union, and whether None was allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


#: words written in capitals in a label made from a field name
ACRONYMS = {"api": "API", "url": "URL", "js": "JS", "id": "ID", "smtp": "SMTP", "db": "DB", "css": "CSS"}


def _label(name: str) -> str:
    words = name.split("_")
    return " ".join(ACRONYMS.get(word, word.capitalize() if i == 0 else word) for i, word in enumerate(words))


def fields(model: type[BaseModel], current: BaseModel | None, currency: str, prefix: str = "",
           group: str = "") -> list[FormField]:
    """The form fields of ``model`` filled from ``current`` (the model's defaults
    when None); secrets are never filled."""
    if current is None:
        try:
            current = model()
        except ValidationError:
            current = None
    secrets = secret_fields(model)
    out: list[FormField] = []
    for name, info in model.model_fields.items():
        annotation, optional = _unwrap(info.annotation)
        path = prefix + name
        value = getattr(current, name, None) if current is not None else None
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        common = {"name": path, "label": info.title or _label(name), "help": info.description or "",
                  "optional": optional, "group": group}
        if _is_model(annotation):
            out += fields(annotation, value, currency, path + ".", common["label"])
        elif name in secrets:
            out.append(FormField(kind="password", is_set=value not in (None, ""), **common))
        elif typing.get_origin(annotation) is Literal:
            out.append(FormField(kind="select", value="" if value is None else str(value),
                                 choices=tuple(str(choice) for choice in typing.get_args(annotation)), **common))
        elif annotation is bool:
            out.append(FormField(kind="checkbox", value="1" if value else "", **common))
        elif annotation is int and extra.get(AMOUNT):
            out.append(FormField(kind="amount", value="" if value is None else format_major(int(value), currency),
                                 currency=currency, **common))
        elif annotation is int:
            out.append(FormField(kind="number", value="" if value is None else str(value), step="1", **common))
        elif annotation in (float, Decimal):
            out.append(FormField(kind="number", value="" if value is None else str(value), step="any", **common))
        elif annotation is str and (extra.get(IMAGE) or name == "image" or name.endswith("_image")):
            out.append(FormField(kind="image", value="" if value is None else str(value), **common))
        elif annotation is str:
            text = "" if value is None else str(value)
            out.append(FormField(kind="colour" if _COLOUR.match(text) else "text", value=text, **common))
        else:
            shown = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
            if isinstance(shown, list):
                shown = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in shown]
            out.append(FormField(kind="json", value=json.dumps(shown, indent=2, default=str), **common))
    return out


def _read(spec: FormField, raw: str) -> Any:
    """The value of one submitted field; ValueError with the message for the field."""
    raw = raw.strip() if spec.kind not in ("text", "json") else raw
    if spec.kind == "image":
        return None if raw == "" and spec.optional else raw
    if raw == "" and spec.kind in ("number", "amount", "select") and spec.optional:
        return None
    if spec.kind == "number":
        try:
            if spec.step == "1":
                return int(raw)
            number = Decimal(raw)
            if number.is_finite():
                # it stays text: the model reads it exactly (a Decimal field never goes through float)
                return str(number)
        except (ValueError, InvalidOperation):
            pass
        raise ValueError("must be a whole number" if spec.step == "1" else "must be a number")
    if spec.kind == "amount":
        try:
            return parse_amount(raw, spec.currency, allow_zero=True)
        except AmountError as exc:
            raise ValueError(str(exc)) from None
    if spec.kind == "json":
        try:
            return json.loads(raw)
        except ValueError:
            raise ValueError("must be valid JSON") from None
    if spec.kind == "text" and raw == "" and spec.optional:
        return None
    return raw


def parse(specs: list[FormField], form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``(values, errors)`` from a submitted form: values nested by dotted
    name; a secret left empty is left out (kept), one whose clear box is ticked
    is set to ``""``; a field missing from the form is left out (kept); errors
    by field name for values that could not be read."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        if spec.kind == "password":
            if form.get(spec.name + CLEAR):
                value: Any = ""
            elif str(form.get(spec.name, "")).strip():
                value = str(form[spec.name]).strip()
            else:
                continue
        elif spec.kind == "checkbox":
            value = bool(form.get(spec.name))
        elif spec.name not in form:
            continue  # not on the submitted form (an older page, a script): the stored value stays
        else:
            try:
                value = _read(spec, str(form.get(spec.name, "")))
            except ValueError as exc:
                errors[spec.name] = str(exc)
                continue
        *parents, leaf = spec.name.split(".")
        target = values
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return values, errors


def with_errors(specs: list[FormField], errors: dict[str, str], form: dict[str, str] | None = None) -> list[FormField]:
    """``specs`` with each error on its field (an error on ``banners.0.heading``
    goes to ``banners``) and, given ``form``, the submitted values kept (never
    a secret's)."""
    out = []
    names = {spec.name for spec in specs}
    for spec in specs:
        errors = {where: text.removeprefix("Value error, ") for where, text in errors.items()}
        message = errors.get(spec.name, "")
        if not message:
            for where, text in errors.items():
                if where.startswith(spec.name + ".") and not any(where == n or where.startswith(n + ".")
                                                                  for n in names if n != spec.name and
                                                                  n.startswith(spec.name + ".")):
                    message = f"{where[len(spec.name) + 1:]}: {text}"
                    break
        changes: dict[str, Any] = {"error": message}
        if form is not None and spec.kind != "password":
            changes["value"] = "1" if spec.kind == "checkbox" and form.get(spec.name) else (
                "" if spec.kind == "checkbox" else str(form.get(spec.name, "")))
        out.append(replace(spec, **changes))
    return out


def unplaced(specs: list[FormField], errors: dict[str, str]) -> dict[str, str]:
    """The errors that belong to no field (e.g. the whole model's)."""
    names = [spec.name for spec in specs]
    return {where: text for where, text in errors.items()
            if not any(where == name or where.startswith(name + ".") for name in names)}
