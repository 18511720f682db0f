"""`optout account …`: store, list and remove logins in the system keyring."""

from __future__ import annotations

import json
import sys

import click

from optout.cli.common import CliState
from optout.errors import OptoutError


@click.group()
def account():
    """Store, list and remove logins (kept in your system keyring)."""


@account.command("add")
@click.argument("platform")
@click.option("--totp", is_flag=True, help="Also store the account's TOTP (authenticator) secret.")
@click.pass_obj
def account_add(state: CliState, platform, totp):
    """Store a login. Asks for the username and password (hidden); reads them from stdin when piped,
    one per line. Never pass a password as an argument."""
    from optout import flowspec
    from optout.credentials import AccountStore, Credential, read_secret, require_keyring

    [flow] = flowspec.resolve([platform])
    if flow.guide is not None:
        raise OptoutError(f"{flow.name} has nothing optout signs in to.", f"`optout off {platform}` shows what to do.")
    if not flow.login.steps:
        raise OptoutError(f"optout does not sign in to {flow.name} with a password.",
                          f"Sign in yourself with `optout login {platform}`; optout keeps that session.")
    require_keyring()
    username = _ask(f"{flow.name} username (e-mail or phone): ")
    password = read_secret(f"{flow.name} password: ")
    secret = read_secret("TOTP secret (the setup key, not a 6-digit code): ") if totp else None
    if not username or not password:
        raise OptoutError("A username and a password are both needed.", f"Run `optout account add {platform}` again.")
    cred = Credential(username, password, secret or None)
    cred.validate()
    AccountStore(state.profile).add(platform, cred)
    if state.as_json:  # never the password or the TOTP secret: only that a secret is kept
        click.echo(json.dumps({"platform": platform, "username": username, "has_totp": bool(secret)}, indent=2))
    click.echo(f"Stored {flow.name} account {username} in the system keyring. Next: optout check {platform}", err=True)


def _ask(prompt: str) -> str:
    """A visible answer from the terminal, or one line from a pipe."""
    if sys.stdin.isatty():
        return click.prompt(prompt.rstrip(": "), err=True).strip()
    line = sys.stdin.readline()
    return line.rstrip("\n").strip()


@account.command("list")
@click.pass_obj
def account_list(state: CliState):
    """The accounts optout knows (no secrets are shown)."""
    from optout.credentials import AccountStore

    accounts = AccountStore(state.profile).list()
    if state.as_json:
        click.echo(json.dumps([a.__dict__ for a in accounts], indent=2))
        return
    if not accounts:
        click.echo("No accounts yet. Add one: optout account add linkedin", err=True)
    for a in accounts:
        click.echo(f"{a.platform}\t{a.username}\t{'totp' if a.has_totp else ''}")


@account.command("remove")
@click.argument("platform")
@click.argument("username", required=False)
@click.pass_obj
def account_remove(state: CliState, platform, username):
    """Remove a stored login (and its saved session) from the keyring and optout's index."""
    from optout.credentials import AccountStore
    from optout.sessions import SessionStore

    removed = AccountStore(state.profile).remove(platform, username)
    sessions = SessionStore(state.profile)
    for a in removed:
        sessions.delete(platform, a.username)
        click.echo(f"Removed {a.platform} account {a.username}.", err=True)
    if state.as_json:
        click.echo(json.dumps([{"platform": a.platform, "username": a.username} for a in removed], indent=2))


COMMANDS = [account]
