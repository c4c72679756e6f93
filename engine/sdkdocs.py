"""Render the plugin API reference (docs/sdk.md): ``engine.sdk``,
``engine.protocols``, every hook argument's type, and an example per hook.

``python -m engine.sdkdocs > docs/sdk.md``; a test fails when the file is
stale, when a hook argument has no entry in :data:`HOOK_ARGUMENTS`, when a
hook has no example (its docstring's ``Example::`` block, else
:data:`HOOK_EXAMPLES`), or when an SDK function's docstring has none.

Docstrings are rendered as Markdown, with one convention of their own: a
paragraph ending in ``::`` introduces an indented Python block.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
from importlib import import_module
from typing import Any

from engine import protocols, sdk
from engine.hookdocs import hook_specs

#: the SDK's modules, in the order the reference shows them
SDK_MODULES = ["catalog", "orders", "stock", "bulk", "jobs", "plugins", "shop", "admin", "storefront", "commands", "signin",
               "errors"]

#: what each hook argument is: ``name`` or ``hook.name`` (when it differs by hook) → (type, meaning)
HOOK_ARGUMENTS: dict[str, tuple[str, str]] = {
    "settings": ("the plugin's settings model, or None",
                 "the plugin's own validated settings (secrets decrypted); never passed by the caller"),
    "runtime": ("`engine.runtime.Runtime`",
                "the running shop; hand it to `engine.sdk` functions (its other attributes are internal)"),
    "app": ("`engine.runtime.Runtime`", "the process's runtime (as `runtime`, despite the name)"),
    "order": ("`engine.protocols.OrderSnapshot`", "the order being placed, numbered, status `pending_payment`"),
    "placement": ("`engine.protocols.OrderPlacement`",
                  "how the order is placed: the client's address (`client_ip`) and the `channel`"),
    "event": ("`engine.DomainEvent`", "the outbox event: `id` (stable across deliveries), `name`, `payload`"),
    "page": ("`str`", "the storefront page: `home`, `category`, `product`, `search`, `cart`, `checkout`, "
                      "`order`, `account`, `404` or `unavailable`"),
    "template_name": ("`str`", "the page's template, e.g. `product.html`"),
    "request": ("`quart.Request`", "the HTTP request being answered"),
    "auth_resolve_actor.request": ("`quart.Request` or None", "the HTTP request, None outside one"),
    "credentials": ("`dict`", "`{\"bearer\": token}` or, on admin paths, `{\"staff_session\": {\"staff_id\", "
                              "\"mfa\", \"must_enrol\"}}`"),
    "actor": ("`dict` or None", "who is signed in: `kind`, `id`, `permissions` (a set of codes), ..."),
    "line": ("`engine.protocols.PriceableLine`", "one cart line: `sku`, `quantity`, `unit_price`, ..."),
    "lines": ("`list[engine.protocols.PriceableLine]`", "the cart's lines, in cart order"),
    "context": ("`dict`", "`currency`, `customer`, `channel`, `address`, `email`, `vouchers`, "
                          "`prices_include_tax` and (once chosen) `shipping`, a `Money`"),
    "checkout": ("`dict`", "`email`, `shipping_address`, `billing_address`, `customer`, `cart_id`, "
                           "`shipping_method`, `payment_method`, `lines` and `totals` as the JSON API shows them"),
    "database": ("`engine.db.Database`", "the shop's database (for a backend that needs its engine)"),
    "active": ("`bool`", "True: the plugin is now active in this process; False: it no longer is"),
    "lifecycle_activation.settings": ("the plugin's settings model, or None",
                                      "its settings now (active) or the last ones it had (not active)"),
    "failure": ("`engine.protocols.FailureReport`",
                "what failed: `kind` (`hook` or `job`), `plugin`, `hook` or `job`, `message`, `exception`"),
}

#: examples of the hooks whose docstring has none (``@hookimpl`` functions, in plugin code)
HOOK_EXAMPLES: dict[str, str] = {
    "lifecycle_startup": '''
@hookimpl
def lifecycle_startup(runtime):
    log.info("loyalty.started", active=sdk.is_active(runtime, "loyalty"))
''',
    "lifecycle_shutdown": '''
@hookimpl
async def lifecycle_shutdown(runtime):
    await http_client.aclose()
''',
    "lifecycle_activation": '''
@hookimpl
def lifecycle_activation(active, settings):
    if active:
        tracker.start(settings.dsn)
    else:
        tracker.close()
''',
    "lifecycle_failure": '''
@hookimpl
def lifecycle_failure(failure):
    tracker.capture(failure.exception, tags={"plugin": failure.plugin})
''',
    "lifecycle_blueprints": '''
blueprint = Blueprint("loyalty", __name__)

@blueprint.get("/api/v1/admin/loyalty/balances")
@sdk.require_permission("loyalty:read")
async def balances():
    return {"items": await all_balances()}

@hookimpl
def lifecycle_blueprints():
    return [blueprint]
''',
    "auth_login_methods": '''
@hookimpl
def auth_login_methods(settings):
    return [AcmeLogin(settings.client_id)] if settings.client_id else []
''',
    "auth_resolve_actor": '''
@hookimpl
async def auth_resolve_actor(request, credentials):
    key = credentials.get("bearer", "")
    if key.startswith("acme_") and await acme_key_valid(key):
        return {"kind": "token", "id": key[:12], "permissions": {"catalog:read"}}
    return None
''',
    "catalog_search_backend": '''
@hookimpl
def catalog_search_backend(settings):
    return MeiliSearchBackend(settings.url, settings.api_key) if settings.url else None
''',
    "pricing_base_price": '''
@hookimpl
def pricing_base_price(line, context, settings):
    if context.get("customer") and line.sku in settings.member_skus:
        return line.unit_price.apply_rate(Decimal("0.90"))
    return None
''',
    "pricing_adjustments": '''
@hookimpl
def pricing_adjustments(lines, context, settings):
    goods = sum((line.unit_price.times(line.quantity) for line in lines), Money.zero(context["currency"]))
    if goods.amount >= settings.threshold:
        return [Adjustment("Bulk discount", Money(-settings.discount, context["currency"]), source="bulk_discount")]
    return None
''',
    "pricing_tax_provider": '''
@hookimpl
def pricing_tax_provider(context, settings):
    return FlatTax(id="flat", rate=Decimal(settings.rate))
''',
    "pricing_reuse": '''
@hookimpl
def pricing_reuse(lines, context, settings):
    return PricingReuse(until=None)   # prices depend only on the lines and the settings
''',
    "checkout_validate": '''
@hookimpl
def checkout_validate(checkout, settings):
    if checkout["shipping_address"]["country"] not in settings.countries:
        return {"shipping_address.country": "We do not ship to this country."}
    return None
''',
    "payment_gateways": '''
@hookimpl
def payment_gateways(settings):
    return [AcmePayGateway(settings.api_base, settings.secret_key)] if settings.secret_key else []
''',
    "fulfillment_shipping_providers": '''
@hookimpl
def fulfillment_shipping_providers(settings):
    return [TableRates(settings.rates)]
''',
    "theme_template_context": '''
@hookimpl
def theme_template_context(template_name, settings):
    if template_name == "product.html":
        return {"points_per_euro": settings.points_per_euro}
    return None
''',
    "theme_csp_sources": '''
@hookimpl
def theme_csp_sources():
    return {"img-src": ["https://cdn.acme.example"]}
''',
    "admin_permissions": '''
@hookimpl
def admin_permissions():
    return [Permission("loyalty:read", "View loyalty balances"),
            Permission("loyalty:write", "Change loyalty balances")]
''',
    "admin_menu_items": '''
@hookimpl
def admin_menu_items(actor):
    return [AdminMenuItem("Loyalty report", "/admin/reports?kind=loyalty", "loyalty:read")]
''',
    "jobs_register": '''
@hookimpl
def jobs_register():
    return [JobDefinition("loyalty.expire_points", expire_points, cron={"hour": {3}, "minute": {0}})]
''',
    "jobs_handle_event": '''
@hookimpl
async def jobs_handle_event(event, settings, runtime):
    if event.name == "order_paid":
        order = await sdk.order(runtime, event.payload["number"])
        await award_points(order, settings.points_per_euro, key=f"event:{event.id}")
''',
}

_EXAMPLE = re.compile(r"Example[^\n]*::\n", re.MULTILINE)
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


class _Text(str):
    """An annotation written as text, shown without quotes."""

    def __repr__(self) -> str:
        return str(self)


def signature(function: Any) -> str:
    """``function``'s signature with its annotations as written."""
    sig = inspect.signature(function)

    def text(annotation: Any) -> Any:
        return _Text(annotation) if isinstance(annotation, str) else annotation

    return str(sig.replace(parameters=[p.replace(annotation=text(p.annotation)) for p in sig.parameters.values()],
                           return_annotation=text(sig.return_annotation)))


def _inline(line: str) -> str:
    """reST inline markup as Markdown: ``x`` → `x`, :func:`a.b` → `b`."""
    line = _ROLE.sub(lambda m: "`" + (m.group(1).rsplit(".", 1)[-1] if m.group(0).count("~") else m.group(1)) + "`",
                     line)
    return line.replace("``", "`")


def clean(doc: str | None) -> str:
    """Like :func:`inspect.cleandoc`, but the margin also counts the line of
    the closing quotes, so code right after a one-line summary keeps its
    indentation."""
    lines = (doc or "").expandtabs().splitlines()
    if not lines:
        return ""
    rest = lines[1:]
    margins = [len(line) - len(line.lstrip()) for line in rest if line.strip()]
    if rest and not rest[-1].strip():
        margins.append(len(rest[-1]))
    margin = min(margins) if margins else 0
    return "\n".join([lines[0].strip(), *(line[margin:].rstrip() for line in rest)]).strip("\n")


def markdown(doc: str | None) -> str:
    """A docstring as Markdown: ``...::`` paragraphs introduce indented Python blocks."""
    lines = clean(doc).splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.rstrip().endswith("::"):
            out.append(_inline(line.rstrip()[:-1].rstrip(":") + ":") if line.strip() != "::" else "")
            base = len(line) - len(line.lstrip())
            index += 1
            block: list[str] = []
            while index < len(lines) and (not lines[index].strip()
                                          or len(lines[index]) - len(lines[index].lstrip()) > base):
                block.append(lines[index])
                index += 1
            while block and not block[-1].strip():
                block.pop()
            out += ["", "```python", *inspect.cleandoc("\n".join(block)).splitlines(), "```", ""]
            continue
        out.append(_inline(line))
        index += 1
    return "\n".join(out).strip()


def example_of(hook: str, function: Any) -> str | None:
    """The example of ``hook``: its docstring's ``Example::`` block, else
    :data:`HOOK_EXAMPLES`."""
    doc = clean(function.__doc__)
    match = _EXAMPLE.search(doc)
    if match:
        block = [line for line in doc[match.end():].splitlines()]
        kept = []
        for line in block:
            if line.strip() and not line.startswith(" "):
                break
            kept.append(line)
        return inspect.cleandoc("\n".join(kept))
    example = HOOK_EXAMPLES.get(hook)
    return example.strip() if example else None


def argument_entry(hook: str, argument: str) -> tuple[str, str] | None:
    return HOOK_ARGUMENTS.get(f"{hook}.{argument}") or HOOK_ARGUMENTS.get(argument)


def _sdk_names(module_name: str) -> list[str]:
    return [name for name, module in sdk.EXPORTS.items() if module == module_name]


def _fields(cls: type) -> list[str]:
    lines = []
    for item in dataclasses.fields(cls):
        if item.default is not dataclasses.MISSING:
            default = f" = `{item.default!r}`"
        elif item.default_factory is not dataclasses.MISSING:
            default = " (default: empty)"
        else:
            default = ""
        lines.append(f"- `{item.name}`: `{item.type}`{default}")
    return lines


def _methods(cls: type) -> list[str]:
    found = []
    for name, member in cls.__dict__.items():
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        summary = f": {inspect.cleandoc(member.__doc__).splitlines()[0]}" if member.__doc__ else ""
        found.append(f"- `{name}{signature(member)}`{_inline(summary)}")
    return found


def _describe(heading: str, title: str, cls: type) -> list[str]:
    out = [f"{heading} `{title}`", "", markdown(cls.__doc__), ""]
    if dataclasses.is_dataclass(cls):
        out += ["Fields:", "", *_fields(cls), ""]
    methods = _methods(cls)
    if methods:
        out += ["Methods:", "", *methods, ""]
    return out


def _sdk_section() -> list[str]:
    out = ["## `engine.sdk`", "", markdown(sdk.__doc__), ""]
    for module_name in SDK_MODULES:
        module = import_module(f"engine.sdk.{module_name}")
        out += [f"### `engine.sdk.{module_name}`", "", markdown(module.__doc__), ""]
        for name in _sdk_names(module_name):
            value = getattr(sdk, name)
            if inspect.isclass(value) and value.__module__ == "engine.protocols":
                out += [f"#### `sdk.{name}`", "", f"The same class as [`engine.protocols.{name}`]"
                        f"(#engineprotocols{name.lower()}).", ""]
            elif inspect.isclass(value):
                out += _describe("####", f"sdk.{name}", value)
            else:
                out += [f"#### `sdk.{name}{signature(value)}`", "", markdown(value.__doc__), ""]
    return out


def _protocols_section() -> list[str]:
    out = ["## `engine.protocols`", "", markdown(protocols.__doc__), ""]
    for name, cls in inspect.getmembers(protocols, inspect.isclass):
        if cls.__module__ == "engine.protocols":
            out += _describe("###", f"engine.protocols.{name}", cls)
    return out


def _hooks_section() -> list[str]:
    out = ["## Hook arguments and examples", "",
           "What each hook argument is (a hookimpl may accept any subset of them) and an example",
           "implementation per hook; the contracts are in [hooks.md](hooks.md).", "",
           "| argument | type | what it is |", "|---|---|---|"]
    for name, (kind, meaning) in sorted(HOOK_ARGUMENTS.items()):
        out.append(f"| `{name}` | {kind} | {meaning} |")
    out.append("")
    for _, hook, function in hook_specs():
        arguments = ", ".join(f"`{a}`" for a in inspect.signature(function).parameters) or "none"
        out += [f"### `{hook}`", "", f"Arguments: {arguments}.", "", "```python", example_of(hook, function) or "",
                "```", ""]
    return out


def render() -> str:
    out = ["# Plugin API reference", "",
           "Generated from `engine/sdk/`, `engine/protocols.py` and `engine/hookspecs/` by",
           "`python -m engine.sdkdocs`; do not edit by hand. A plugin imports `engine`, `engine.sdk`,",
           "`engine.protocols` and `engine.money` only (its tests add `engine.testing`); see",
           "[plugins.md](plugins.md) for a guided tour.", ""]
    out += _sdk_section() + _protocols_section() + _hooks_section()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
