"""Flow files: every shipped flow validates; bad ones fail naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from optout.errors import FlowError
from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows
from optout.flowfile.load import load_flow
from optout.paths import flows_dir


def linkedin() -> dict:
    return yaml.safe_load((flows_dir() / "linkedin.yaml").read_text())


def write(tmp_path: Path, data: dict, name: str = "linkedin") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_every_shipped_flow_loads():
    flows = load_flows(Layers.person())
    assert "linkedin" in flows
    for flow in flows.values():
        assert (flow.settings or flow.guide) and flow.version >= 1


def test_unknown_field_names_file_and_field(tmp_path):
    data = linkedin()
    data["settings"][0]["colour"] = "blue"
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "linkedin.yaml" in str(err.value) and "settings.0.colour" in str(err.value)


def test_missing_label_names_the_field(tmp_path):
    data = linkedin()
    del data["settings"][0]["label"]
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "settings.0.label" in str(err.value) and "Field required" in str(err.value)


def test_control_without_a_name_is_refused(tmp_path):
    data = linkedin()
    data["settings"][0]["control"]["names"] = {"en": []}
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "settings.0.control" in str(err.value)


@pytest.mark.parametrize(
    "url", ["http://www.linkedin.com/x", "not a url", "https://www.linkedin.com.evil.test/x"]
)
def test_bad_setting_url(tmp_path, url):
    data = linkedin()
    data["settings"][0]["url"] = url
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "settings.0.url" in str(err.value)


def test_credentials_pointed_at_a_foreign_origin_are_refused(tmp_path):
    data = linkedin()
    data["login"]["credential_origins"] = ["https://login.evil.test"]
    data["login"]["url"] = "https://login.evil.test/login"
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "outside the flow's domains" in str(err.value)


def test_login_page_must_be_a_credential_origin(tmp_path):
    data = linkedin()
    data["login"]["credential_origins"] = ["https://api.linkedin.com"]
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "login.url" in str(err.value)


def test_flow_files_cannot_run_code(tmp_path):
    path = tmp_path / "linkedin.yaml"
    path.write_text("id: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(FlowError) as err:
        load_flow(path)
    assert "cannot read" in str(err.value)


def test_oversized_and_malformed_files(tmp_path):
    big = tmp_path / "linkedin.yaml"
    big.write_text("# " + "x" * 300_000)
    with pytest.raises(FlowError, match="too large"):
        load_flow(big)
    bad = tmp_path / "other.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(FlowError, match="mapping"):
        load_flow(bad)


def test_bad_regex_is_reported(tmp_path):
    data = linkedin()
    data["login"]["signed_out"]["urls"] = ["(unclosed"]
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "login.signed_out.urls" in str(err.value) and "regular expression" in str(err.value)


def test_id_must_match_file_name(tmp_path):
    with pytest.raises(FlowError, match="must match the file name"):
        load_flow(write(tmp_path, linkedin(), name="other"))
