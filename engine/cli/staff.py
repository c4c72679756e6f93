"""Staff commands: ``staff create|require-2fa`` (accounts and their two-factor
policy) and ``tokens create|list|revoke`` (admin API tokens; ``tokens create``
prints the token alone on the last line of its output).

Changes are made by the services as the command line's actor
(:func:`engine.audit.command_line_actor`, ``cli:<user>``), so they are in the
audit log like changes made in the admin."""
from __future__ import annotations

import json
import sys

import click

from engine.cli.common import fail, open_runtime, run, settings_from


@click.group("staff")
def staff_group() -> None:
    """Staff accounts."""


@staff_group.command("create")
@click.option("--email", required=True, help="Sign-in e-mail address.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--role", default="support", show_default=True, help="owner, manager or support.")
@click.pass_context
def staff_create(ctx: click.Context, email: str, password_stdin: bool, role: str) -> None:
    """Create a staff account."""
    settings = settings_from(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def go():
        from engine.accounts.staff import create_staff
        from engine.audit import command_line_actor

        async with open_runtime(settings):
            staff_id = await create_staff(email, password, role, actor=command_line_actor())
            click.echo(f"created staff account {email.strip().lower()} (id {staff_id}, role {role})")
            click.echo(f"sign in at {settings.store.base_url.rstrip('/')}/admin/login")

    run(go)


@staff_group.command("require-2fa")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.pass_context
def staff_require_2fa(ctx: click.Context, state: str) -> None:
    """Require two-factor sign-in for every staff member (on/off), or show it."""
    settings = settings_from(ctx)

    async def go():
        from engine.accounts.two_factor import set_staff_2fa_required, staff_2fa_required
        from engine.audit import command_line_actor

        async with open_runtime(settings):
            if state != "status":
                await set_staff_2fa_required(state == "on", actor=command_line_actor())
            required = await staff_2fa_required(settings)
        source = " (forced by security.require_staff_2fa)" if settings.security.require_staff_2fa else ""
        click.echo(f"two-factor sign-in for staff: {'required' if required else 'optional'}{source}")

    run(go)


@click.group("tokens")
def tokens_group() -> None:
    """Admin API tokens."""


@tokens_group.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--scopes", required=True, help="Comma-separated: catalog:read,orders:write,... or all.")
@click.option("--expires-days", type=int, default=None, help="Expire after this many days.")
@click.pass_context
def tokens_create(ctx: click.Context, name: str, scopes: str, expires_days: int | None) -> None:
    """Create an admin API token; the token is printed alone on the last line."""
    settings = settings_from(ctx)

    async def go():
        from engine.accounts.api_tokens import create_token, parse_scopes
        from engine.audit import command_line_actor

        scope_list = parse_scopes(scopes)
        async with open_runtime(settings):
            token, row = await create_token(name, scope_list, expires_days, actor=command_line_actor())
        click.echo(f"token {row['name']!r} ({row['prefix']}…) scopes: {','.join(scope_list)}")
        click.echo("store it now: it is shown only once")
        click.echo(token)

    run(go)


@tokens_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def tokens_list(ctx: click.Context, as_json: bool) -> None:
    """Admin API tokens (never the tokens themselves: only their prefixes)."""
    settings = settings_from(ctx)

    async def go():
        from engine.accounts.api_tokens import list_tokens

        async with open_runtime(settings):
            rows = await list_tokens()
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            click.echo(f"{row['id']:>4}  {row['prefix']}…  {row['state']:<8} {row['name']!r}  "
                       f"scopes: {','.join(row['scopes'])}  expires: {row['expires_at'] or 'never'}")

    run(go)


@tokens_group.command("revoke")
@click.argument("token")
@click.pass_context
def tokens_revoke(ctx: click.Context, token: str) -> None:
    """Revoke a token by its id or its listed prefix (swt_xxxxxx)."""
    settings = settings_from(ctx)

    async def go():
        from engine.accounts.api_tokens import find_token, revoke_token
        from engine.audit import command_line_actor

        async with open_runtime(settings):
            row = await find_token(token.rstrip("…"))
            if row is None:
                fail(f"no token {token!r}")
            revoked = await revoke_token(row["id"], actor=command_line_actor())
        click.echo(f"revoked token {row['name']!r} ({row['prefix']}…)" if revoked
                   else f"token {row['name']!r} ({row['prefix']}…) was already revoked")

    run(go)
