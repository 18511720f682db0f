"""Local flows (issue 17.4): a flow in the person's folder replaces the shipped one once it is valid,
never reaches a new origin unless the person typed exactly that origin, and says it was used."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from optout import catalog
from optout.cli import cli
from optout.flowfile import guard as flowguard
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows
from optout.paths import flows_dir

ATTACKER = "https://attacker.example"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    path = tmp_path / "my-flows"
    monkeypatch.setenv("OPTOUT_FLOWS", str(path))
    monkeypatch.setenv("OPTOUT_CACHE_HOME", str(tmp_path / "cache"))
    return path


#: The shipped LinkedIn flow's version (flows bump it on change).
SHIPPED = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text(encoding="utf-8"))["version"]


def linkedin(**changes) -> dict:
    data = yaml.safe_load((flows_dir() / "linkedin.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def widened_to_attacker() -> dict:
    data = linkedin(version=9, domains=["linkedin.com", "attacker.example"])
    data["login"]["url"] = f"{ATTACKER}/login"
    data["login"]["credential_origins"] = ["https://www.linkedin.com", ATTACKER]
    return data


def put(where: Path, data: dict, name: str = "linkedin") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_flow_path_is_in_the_data_folder_unless_optout_flows_says(optout_home, monkeypatch):
    monkeypatch.delenv("OPTOUT_FLOWS", raising=False)
    assert invoke("flows", "path").output.strip() == str(optout_home / "flows")
    monkeypatch.setenv("OPTOUT_FLOWS", "/elsewhere/flows")
    assert json.loads(invoke("flows", "path", "--json").output)["flows"] == "/elsewhere/flows"


def test_a_valid_local_flow_overrides_the_shipped_one_and_says_so(folder):
    put(folder, linkedin(version=7))
    flows = load_flows(Layers.person())
    assert flows["linkedin"].version == 7 and flows["linkedin"].flow_source == "local"
    assert flows["x"].flow_source == "shipped"
    assert (
        load_flows(flows_dir())["linkedin"].flow_source == "shipped"
    )  # a folder given: that folder only


def test_flow_source_cannot_come_from_the_file(folder):
    path = put(folder, {**linkedin(version=7), "_source": "shipped"})
    assert (
        "linkedin" in load_flows(Layers.person())
        and load_flows(Layers.person())["linkedin"].version == SHIPPED
    )
    with pytest.raises(Exception, match="_source"):
        from optout.flowfile.load import load_flow

        load_flow(path)


def test_an_invalid_local_flow_is_not_used_and_the_warning_says_what_to_do(folder, capsys):
    path = put(folder, linkedin(version=8, settings=[]))
    flows = load_flows(Layers.person())
    assert flows["linkedin"].flow_source == "shipped" and flows["linkedin"].version == SHIPPED
    err = capsys.readouterr().err
    assert str(path) in err and "settings" in err and "optout flows remove linkedin" in err


def test_a_local_flow_widening_credential_origins_is_refused(folder, capsys):
    path = put(folder, widened_to_attacker())
    flow = load_flows(Layers.person())["linkedin"]
    assert flow.flow_source == "shipped" and ATTACKER not in flow.credential_origins
    assert not flow.owns(f"{ATTACKER}/login")
    err = capsys.readouterr().err
    assert str(path) in err and ATTACKER in err
    assert f"optout flows add {path} --allow-origins {ATTACKER}" in err


def test_a_new_credential_origin_inside_the_domains_is_refused_too(folder):
    data = linkedin(version=9)
    data["login"]["url"] = "https://login.linkedin.com/x"
    data["login"]["credential_origins"] = ["https://www.linkedin.com", "https://login.linkedin.com"]
    put(folder, data)
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    assert flowguard.widening(
        load_flows(folder)["linkedin"], load_flows(flows_dir())["linkedin"]
    ) == {"credential_origins": ["https://login.linkedin.com"]}


def test_a_platform_optout_does_not_ship_needs_its_origins_allowed(folder, tmp_path):
    data = widened_to_attacker()
    data.update(id="newsite", name="New site", domains=["attacker.example"])
    data["login"]["credential_origins"] = [ATTACKER]
    for s in data["settings"]:
        s["url"] = f"{ATTACKER}/settings"
    source = put(tmp_path / "shared", data, "newsite")
    put(folder, data, "newsite")
    assert "newsite" not in load_flows(Layers.person())
    refused = invoke("flows", "add", str(source))
    assert (
        refused.exit_code == 1
        and ATTACKER in refused.output
        and "--allow-origins" in refused.output
    )
    assert invoke("flows", "add", str(source), "--allow-origins", f"{ATTACKER}/").exit_code == 0
    assert load_flows(Layers.person())["newsite"].flow_source == "local"


def test_allow_origins_must_be_exactly_the_new_origins(folder, tmp_path):
    source = put(tmp_path / "shared", widened_to_attacker())
    for wrong in (
        "https://other.example",
        f"{ATTACKER},https://other.example",
        "http://attacker.example",
    ):
        result = invoke("flows", "add", str(source), "--allow-origins", wrong)
        assert result.exit_code != 0, wrong
        assert not (folder / "linkedin.yaml").exists()
    nothing = invoke(
        "flows",
        "add",
        str(put(tmp_path / "plain", linkedin(version=4))),
        "--allow-origins",
        ATTACKER,
    )
    assert nothing.exit_code == 1 and "Nothing here needs --allow-origins" in nothing.output


def test_an_allowance_is_bound_to_the_file_bytes(folder, tmp_path):
    source = put(tmp_path / "shared", widened_to_attacker())
    result = invoke("flows", "add", str(source), "--allow-origins", ATTACKER)
    assert result.exit_code == 0, result.output
    flow = load_flows(Layers.person())["linkedin"]
    assert flow.flow_source == "local" and ATTACKER in flow.credential_origins
    assert oct(flowguard.allowances_path().stat().st_mode & 0o777) == "0o600"
    # An edit (even one word) voids the allowance: the shipped flow is used again.
    target = folder / "linkedin.yaml"
    target.write_text(
        target.read_text(encoding="utf-8").replace("version: 9", "version: 10"), encoding="utf-8"
    )
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"


def test_an_allowance_file_others_could_write_is_ignored(folder, tmp_path):
    source = put(tmp_path / "shared", widened_to_attacker())
    assert invoke("flows", "add", str(source), "--allow-origins", ATTACKER).exit_code == 0
    os.chmod(flowguard.allowances_path(), 0o666)
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"


def test_no_environment_variable_or_flow_field_allows_an_origin(folder, monkeypatch):
    for name in ("OPTOUT_ALLOW_ORIGINS", "OPTOUT_FLOW_ALLOW_ORIGINS", "ALLOW_ORIGINS"):
        monkeypatch.setenv(name, ATTACKER)
    put(folder, {**widened_to_attacker(), "allow_origins": [ATTACKER]})
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    put(folder, widened_to_attacker())
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"


def test_remove_brings_the_shipped_flow_back(folder, tmp_path):
    assert invoke("flows", "add", str(put(tmp_path / "s", linkedin(version=4)))).exit_code == 0
    assert load_flows(Layers.person())["linkedin"].flow_source == "local"
    assert invoke("flows", "remove", "linkedin").exit_code == 0
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    missing = invoke("flows", "remove", "linkedin")
    assert missing.exit_code == 1 and "no local flow for linkedin" in missing.output


def test_a_local_flow_not_newer_than_the_shipped_one_is_used_with_a_note(folder, capsys):
    put(folder, linkedin(version=3, name="LinkedIn (mine)"))
    assert load_flows(Layers.person())["linkedin"].name == "LinkedIn (mine)"
    assert "optout flows remove linkedin" in capsys.readouterr().err


def test_platforms_says_a_local_flow_is_used_at_once(folder, capsys):
    described = {f["platform"]: f for f in catalog.catalogue()}
    assert described["linkedin"]["flow_source"] == "shipped"
    put(folder, linkedin(version=5))
    described = {f["platform"]: f for f in catalog.catalogue()}  # the cache key saw the new file
    assert described["linkedin"]["flow_source"] == "local" and described["linkedin"]["version"] == 5
    listed = {f["platform"]: f for f in json.loads(invoke("platforms", "--json").output)}
    assert listed["linkedin"]["flow_source"] == "local"
    assert "(your local flow)" in invoke("platforms").output


def test_platforms_repeats_the_warning_on_a_cached_catalogue(folder):
    path = put(folder, widened_to_attacker())
    first = CliRunner().invoke(cli, ["platforms", "--json"])
    second = CliRunner().invoke(cli, ["platforms", "--json"])
    for result in (first, second):
        assert str(path) in result.stderr and ATTACKER in result.stderr
        assert {f["platform"]: f for f in json.loads(result.stdout)}["linkedin"][
            "flow_source"
        ] == "shipped"


def test_results_and_history_say_a_local_flow_read_them(folder):
    put(folder, linkedin(version=6))
    result = CliRunner().invoke(cli, ["--json", "check", "linkedin"])
    assert result.exit_code == 4, result.output
    rows = json.loads(result.stdout)["results"]
    assert rows and all(r["flow_source"] == "local" and r["flow_version"] == 6 for r in rows)
    from optout.history import History
    from optout.paths import Profile

    with History(Profile()) as history:
        assert {r["flow_source"] for r in history.latest()} == {"local"}
    human = CliRunner().invoke(cli, ["check", "linkedin"])
    assert "linkedin (local flow)" in human.output
    from optout.report import html_report

    assert "linkedin (local flow)" in html_report(Profile())


def test_a_local_flow_others_could_write_is_not_used(folder, capsys):
    path = put(folder, linkedin(version=7))
    os.chmod(path, 0o666)
    assert load_flows(Layers.person())["linkedin"].flow_source == "shipped"
    assert f"chmod 600 {path}" in capsys.readouterr().err
    os.chmod(path, 0o600)
    assert load_flows(Layers.person())["linkedin"].flow_source == "local"


def test_the_command_the_warning_gives_allows_a_file_already_in_the_folder(folder, capsys):
    path = put(folder, widened_to_attacker())
    load_flows(Layers.person())
    command = next(
        line.strip() for line in capsys.readouterr().err.splitlines() if "--allow-origins" in line
    )
    assert command == f"optout flows add {path} --allow-origins {ATTACKER}"
    result = invoke(*command.split()[1:])
    assert result.exit_code == 0, result.output
    assert (
        load_flows(Layers.person())["linkedin"].flow_source == "local"
        and path.read_text().count("attacker.example") >= 2
    )


def test_platforms_sees_a_local_flow_made_writable_by_others_at_once(folder):
    path = put(folder, linkedin(version=5))
    assert {f["platform"]: f for f in catalog.catalogue()}["linkedin"]["flow_source"] == "local"
    os.chmod(path, 0o666)
    assert {f["platform"]: f for f in catalog.catalogue()}["linkedin"]["flow_source"] == "shipped"
