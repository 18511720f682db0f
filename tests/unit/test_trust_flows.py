"""Issue 23, item 8: a flow (a local one, an update: written by strangers) naming a URL that
Python and a browser could read with different hosts is refused when it loads."""

from __future__ import annotations

import pytest
import yaml

from optout.errors import FlowError
from optout.flowfile.layers import load_flows
from optout.flowfile.load import parse_flow
from optout.paths import flows_dir

SHIPPED = flows_dir()

SPLIT_URLS = [
    "https://evil-example.com\\.linkedin.com/x",
    "https://evil-example.com\\@www.linkedin.com/x",
    "https://www.linkedin.com\\@evil-example.com/x",
    "https://evil-example.com%5C.linkedin.com/x",
    "https://www.linkedin.com\t.evil-example.com/x",
    "https://user:pw@www.linkedin.com/x",
    "https://www.linkedin.com/\\\\evil-example.com",
    "https://www.linkedin.com/x\x1b]8;;https://evil-example.com\x07",
]


def data(platform: str) -> dict:
    return yaml.safe_load((SHIPPED / f"{platform}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("url", SPLIT_URLS, ids=ascii)
def test_a_url_two_parsers_could_read_apart_is_refused_everywhere_in_a_flow(url):
    for where in ("login.url", "setting"):
        flow = data("linkedin")
        if where == "login.url":
            flow["login"]["url"] = url
        else:
            flow["settings"][0]["url"] = url
        with pytest.raises(FlowError, match="not a plain https URL"):
            parse_flow(yaml.safe_dump(flow), "local/linkedin.yaml", "linkedin")


def test_a_guide_link_with_a_backslash_is_refused():
    guides = [p.stem for p in SHIPPED.glob("*.yaml") if "guide" in data(p.stem)]
    assert guides
    flow = data(guides[0])
    flow["guide"]["links"] = ["https://evil-example.com\\@" + flow["domains"][0] + "/help"]
    with pytest.raises(FlowError, match="not a plain https URL"):
        parse_flow(yaml.safe_dump(flow), f"local/{guides[0]}.yaml", guides[0])


def test_every_shipped_flow_still_loads():
    assert len(load_flows(SHIPPED)) >= 10
