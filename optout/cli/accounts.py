"""`optout account …`: store, list and remove logins in the system keyring (or, where none works
and the person says so, in a 0600 file of the profile)."""

from __future__ import annotations

import json
import sys

import click

from optout.cli.common import CliState, next_command
from optout.errors import OptoutError


@click.group()
def account():
    """Store, list and remove logins (kept in your system keyring)."""


@account.command("add")
@click.argument("platform")
@click.option("--totp", is_flag=True, help="Also store the account's TOTP (authenticator) secret.")
@click.option(
    "--insecure-storage",
    is_flag=True,
    help="No keyring here (WSL, SSH, a container): keep this profile's secrets in a file "
    "only you can read. Weaker: it is not encrypted.",
)
@click.pass_obj
def account_add(state: CliState, platform, totp, insecure_storage):
    """Store a login. Asks for the username and password (hidden); reads them from stdin when piped,
    one per line. Never pass a password as an argument."""
    from optout.credentials import (
        AccountStore,
        Credential,
        read_secret,
        require_secrets,
    )
    from optout.filestore import FILE_STORE_WARNING, choose_file_store, uses_file_store
    from optout.flowfile.layers import (  # pydantic only when flows are read
        Layers,
        resolve,
    )

    [flow] = resolve([platform], Layers.person())
    if flow.guide is not None:
        raise OptoutError(
            f"{flow.name} has nothing optout signs in to.",
            f"`optout off {platform}` shows what to do.",
        )
    if not flow.login.steps:
        raise OptoutError(
            f"optout does not sign in to {flow.name} with a password.",
            f"Sign in yourself with `optout login {platform}`; optout keeps that session.",
        )
    store = AccountStore(state.profile)
    if insecure_storage and not uses_file_store(state.profile):
        if store.list():  # their secrets are in the keyring: a second place would hide them
            raise OptoutError(
                f"Profile {state.profile.name} already keeps its accounts in the keyring.",
                "Use another profile for the file store (`--profile NAME`), or remove these "
                "accounts first (`optout account remove PLATFORM`).",
            )
        choose_file_store(state.profile)
    require_secrets(state.profile)
    username = _ask(f"{flow.name} username (e-mail or phone): ")
    password = read_secret(f"{flow.name} password: ")
    secret = read_secret("TOTP secret (the setup key, not a 6-digit code): ") if totp else None
    if not username or not password:
        raise OptoutError(
            "A username and a password are both needed.",
            f"Run `optout account add {platform}` again.",
        )
    cred = Credential(username, password, secret or None)
    cred.validate()
    store.add(platform, cred)
    if state.as_json:  # never the password or the TOTP secret: only that a secret is kept
        click.echo(
            json.dumps(
                {"platform": platform, "username": username, "has_totp": bool(secret)}, indent=2
            )
        )
    if uses_file_store(state.profile):
        from optout.filestore import file_store_path

        click.echo(
            f"Stored {flow.name} account {username} in {file_store_path(state.profile)} "
            f"(the file store you chose for this profile; {FILE_STORE_WARNING}).",
            err=True,
        )
        click.echo(
            f"Once a keyring works here: {next_command(state, 'account', 'move', '--to', 'keyring')}",
            err=True,
        )
    else:
        click.echo(f"Stored {flow.name} account {username} in the system keyring.", err=True)
    click.echo(f"Next: {next_command(state, 'check', platform)}", err=True)


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
        click.echo(
            f"No accounts yet. Add one: {next_command(state, 'account', 'add', 'linkedin')}",
            err=True,
        )
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
        click.echo(
            json.dumps(
                [{"platform": a.platform, "username": a.username} for a in removed], indent=2
            )
        )


@account.command("move")
@click.option(
    "--to",
    "where",
    type=click.Choice(["keyring", "file"]),
    required=True,
    help="keyring: the system keyring (once one works here); file: a file only you can "
    "read (weaker: not encrypted).",
)
@click.pass_obj
def account_move(state: CliState, where):
    """Move this profile's secrets (every login, the saved sessions' key, the notification
    addresses) between the file store and the system keyring. Each is read back from its new place
    before the old copy is deleted; nothing is shown."""
    from optout import secretmove
    from optout.filestore import FILE_STORE_WARNING, file_store_path
    from optout.oskeyring import keyring_unlock_problem

    moved = (
        secretmove.to_keyring(state.profile)
        if where == "keyring"
        else secretmove.to_file(state.profile)
    )
    place = "the system keyring" if where == "keyring" else str(file_store_path(state.profile))
    if state.as_json:
        click.echo(
            json.dumps(
                {
                    "profile": state.profile.name,
                    "to": where,
                    "moved": moved.items,
                    "already": moved.already,
                },
                indent=2,
            )
        )
    if moved.already:
        click.echo(
            f"Profile {state.profile.name} already keeps its secrets in {place}: nothing to move.",
            err=True,
        )
        return
    what = "; ".join(moved.items) or "nothing stored yet"
    click.echo(f"Moved profile {state.profile.name}'s secrets to {place} ({what}).", err=True)
    if where == "file":
        click.echo(
            f"That file is {FILE_STORE_WARNING}. Back to the keyring: "
            f"{next_command(state, 'account', 'move', '--to', 'keyring')}",
            err=True,
        )
    elif problem := keyring_unlock_problem():
        click.echo(
            f"Note: {problem}; scheduled runs need it unlocked (see `optout doctor`).", err=True
        )


COMMANDS = [account]
