"""Flow files cannot be turned against the person (issue 12.14): no public suffix as a domain, no
http:// page counted as the platform's own, no pattern that backtracks for minutes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from optout.errors import FlowError
from optout.flowspec import Signal, flows_dir, load_flow


def linkedin() -> dict:
    return yaml.safe_load((flows_dir() / "linkedin.yaml").read_text())


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "linkedin.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("suffix", ["com", "co.uk", "com.au", "github.io", "COM"])
def test_a_public_suffix_is_not_a_platform_domain(tmp_path, suffix):
    data = linkedin()
    data["domains"] = [*data["domains"], suffix]
    with pytest.raises(FlowError) as err:
        load_flow(write(tmp_path, data))
    assert "domains" in str(err.value) and "public suffix" in str(err.value)


def test_owns_only_https_pages_of_its_domains(tmp_path):
    flow = load_flow(flows_dir() / "linkedin.yaml")
    assert flow.owns("https://www.linkedin.com/mypreferences/d/settings")
    assert not flow.owns("http://www.linkedin.com/mypreferences/d/settings")
    assert not flow.owns("ws://www.linkedin.com/")
    assert not flow.owns("https://www.linkedin.com.evil.test/")


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w+\s?)+$", r"(a|aa)*b", r"(.*a){12}", r"(x+x+)+y",
                                     r"(a|b)\1", r"^(.+x)+$"])
def test_a_catastrophic_pattern_is_refused_at_load(tmp_path, pattern):
    for where in ("urls", "texts"):
        data = linkedin()
        data["login"]["signed_out"] = {where: [pattern]}
        with pytest.raises(FlowError) as err:
            load_flow(write(tmp_path, data))
        assert "login.signed_out" in str(err.value) and "pattern" in str(err.value), str(err.value)


def test_shipped_style_patterns_still_load():
    for pattern in (r"^https://(?!accounts\.google\.com/)([a-z0-9-]+\.)*google\.com/",
                    r"^https://github\.com/(login|session)(\?.*)?$", r"(Invalid|Incorrect|Wrong) (email or )?password",
                    r"^(?:https://wordpress\.com)?/home/([A-Za-z0-9.-]+)/?$"):
        Signal(urls=[pattern])


def test_a_hostile_url_or_text_cannot_stall_a_match():
    signal = Signal(urls=[r"^https://github\.com/(login|session)(\?.*)?$",
                          r"^https://(?!accounts\.google\.com/)([a-z0-9-]+\.)*google\.com/"],
                    texts=[r"(Invalid|Incorrect|Wrong) (email or )?password"])
    url = "https://" + "a." * 200_000 + "b"
    started = time.monotonic()
    assert not signal.matches_url(url) and not signal.matches_text("x" * 5_000_000)
    assert time.monotonic() - started < 2
