"""`optout completion SHELL`: the script that completes commands, platforms and setting ids."""

from __future__ import annotations

import json

import click

from optout.cli.common import CliState


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_obj
def completion(state: CliState, shell):
    """Print the shell completion script for SHELL (commands, platforms, setting ids).

    \b
    bash:  eval "$(optout completion bash)"        (in ~/.bashrc)
    zsh:   eval "$(optout completion zsh)"         (in ~/.zshrc)
    fish:  optout completion fish > ~/.config/fish/completions/optout.fish
    """
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root().command
    cls = get_completion_class(shell)
    script = cls(root, {}, "optout", "_OPTOUT_COMPLETE").source()
    if state.as_json:
        click.echo(json.dumps({"shell": shell, "script": script}, indent=2))
    else:
        click.echo(script)


COMMANDS = [completion]
