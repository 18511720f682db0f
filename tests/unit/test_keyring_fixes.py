"""The "no keyring" hint names fixes that work for how optout was installed and on which system:
the file store, the OS's keyring, and a keyring backend added with the command that reaches
optout's own environment (a bare `pip install` reaches another Python)."""

from __future__ import annotations

import sys

import keyring
import pytest
from keyring.backends import fail

from optout import installkind
from optout.errors import KeyringUnavailable
from optout.installkind import Install, add_package, detect
from optout.oskeyring import keyring_fixes, require_keyring


def uv_tool(tmp_path, requirements: str):
    prefix = tmp_path / "uv" / "tools" / "optout-ai"
    prefix.mkdir(parents=True)
    (prefix / "uv-receipt.toml").write_text(
        f"[tool]\nrequirements = {requirements}\n", encoding="utf-8"
    )
    return prefix


def test_a_uv_tool_from_a_checkout_gets_uv_tool_install_with_that_checkout(tmp_path):
    prefix = uv_tool(
        tmp_path, '[{ name = "optout-ai", directory = "/home/ann/src/optout" }, { name = "rich" }]'
    )
    found = detect(prefix, base_prefix="/usr")
    assert found == Install("uv-tool", "optout-ai", "/home/ann/src/optout", ("rich",))
    assert (
        add_package("keyrings.cryptfile", found)
        == "uv tool install --reinstall --with rich --with keyrings.cryptfile /home/ann/src/optout"
    )


def test_a_uv_tool_from_pypi_or_a_wheel(tmp_path):
    assert (
        add_package(
            "keyrings.cryptfile", detect(uv_tool(tmp_path, '[{ name = "optout_ai" }]'), "/usr")
        )
        == "uv tool install --reinstall --with keyrings.cryptfile optout-ai"
    )
    wheel = uv_tool(
        tmp_path / "w",
        '[{ name = "optout-ai", path = "/tmp/my dist/optout_ai-0.4-py3-none-any.whl" }]',
    )
    assert add_package("k", detect(wheel, "/usr")).endswith(
        "--with k '/tmp/my dist/optout_ai-0.4-py3-none-any.whl'"
    )


def test_pipx_gets_pipx_inject(tmp_path):
    prefix = tmp_path / "pipx" / "venvs" / "optout-ai"
    prefix.mkdir(parents=True)
    (prefix / "pipx_metadata.json").write_text("{}", encoding="utf-8")
    assert (
        add_package("keyrings.cryptfile", detect(prefix, "/usr"))
        == "pipx inject optout-ai keyrings.cryptfile"
    )


def test_a_venv_gets_its_own_python(tmp_path, monkeypatch):
    venv = detect(tmp_path, base_prefix="/usr")
    assert venv.kind == "venv"
    monkeypatch.setattr(installkind, "_has_pip", lambda: True)
    assert add_package("k", venv) == f"{sys.executable} -m pip install k"
    monkeypatch.setattr(installkind, "_has_pip", lambda: False)  # a venv made by uv has no pip
    assert add_package("k", venv) == f"uv pip install --python {sys.executable} k"


def test_the_systems_python_gets_no_pip_command():
    assert detect("/usr", base_prefix="/usr") == Install("system")
    said = keyring_fixes("linux", Install("system"))
    assert (
        "pip" not in said
        and "--insecure-storage" in said
        and "apt-get install gnome-keyring" in said
    )


@pytest.mark.parametrize(
    "install, command",
    [
        (
            Install("uv-tool", "optout-ai", "optout-ai"),
            "uv tool install --reinstall --with keyrings.cryptfile optout-ai",
        ),
        (Install("pipx", "optout-ai"), "pipx inject optout-ai keyrings.cryptfile"),
    ],
)
@pytest.mark.parametrize(
    "system, own",
    [
        ("linux", "gnome-keyring-daemon --unlock"),
        ("darwin", "security unlock-keychain"),
        ("win32", "Windows Credential Manager"),
    ],
)
def test_each_system_and_install_gets_its_own_fixes(install, command, system, own):
    said = keyring_fixes(system, install)
    assert own in said and command in said and "--insecure-storage" in said
    assert "pip install keyrings.cryptfile" not in said  # a bare pip reaches another Python
    assert all(len(line) <= 80 for line in said.splitlines()), said  # 80 columns
    if system != "linux":
        assert "apt-get" not in said


def test_the_error_without_a_keyring_names_the_fix_for_this_install(monkeypatch, tmp_path):
    prefix = tmp_path / "pipx" / "venvs" / "optout-ai"
    prefix.mkdir(parents=True)
    (prefix / "pipx_metadata.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(sys, "prefix", str(prefix))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(KeyringUnavailable) as info:
            require_keyring()
    finally:
        keyring.set_keyring(previous)
    assert "pipx inject optout-ai keyrings.cryptfile" in info.value.hint
    assert "--insecure-storage" in info.value.hint and "-m pip" not in info.value.hint


class CryptFileLike(keyring.backend.KeyringBackend):
    """Stands for keyrings.cryptfile (only its module's name matters to doctor)."""

    priority = 1  # type: ignore[assignment]
    __module__ = "keyrings.cryptfile.cryptfile"

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        pass

    def delete_password(self, service, username):
        pass


def test_doctor_says_how_to_unlock_the_keyring_in_use(monkeypatch):
    """A file keyring without its password is unlocked by its variable, not by gnome-keyring."""
    from optout.doctor import _secret_lines
    from optout.paths import Profile

    monkeypatch.delenv("KEYRING_CRYPTFILE_PASSWORD", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(CryptFileLike())
    try:
        [line] = _secret_lines(Profile())
    finally:
        keyring.set_keyring(previous)
    assert not line.ok and "KEYRING_CRYPTFILE_PASSWORD" in line.value
    first = line.fix.splitlines()[0]
    assert (
        first.startswith("Set KEYRING_CRYPTFILE_PASSWORD") and "gnome-keyring-daemon" not in first
    )
