"""Objection forms tell only what happened, through a real Chromium against the replicas shaped
like the public evidence (docs/research/evidence-2026-12.md): `submitted` only from a confirmation that appeared
after optout's own send or from the platform's notice in the form's place; a 2xx without a
confirmation is "sent unconfirmed" and never sent again on its own; a required field optout cannot
fill stops the form before sending; an HTTP error is `error` whatever the page shows. Every test
counts the objections the replica received."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from optout.cli import cli
from optout.sandbox import SANDBOX_USERNAME, Sandbox

SENTINEL_PASSWORD = "sentinel-pw-Forms8Tq2"
FB = ["ai-objection", "third-party-objection"]


def setup(sandbox, platform, *misbehaviours):
    return sandbox.configure(platform, *misbehaviours, password=SENTINEL_PASSWORD)


def by_setting(results):
    return {r.setting: r for r in results}


def sent(replica, setting=None):
    return [e for e in replica.events("submission") if setting is None or e["setting"] == setting]


# --- 1. submitted only from what this run's send made appear ----------------------------------


async def test_help_text_about_an_earlier_objection_is_not_already_sent(sandbox, run_flow):
    # Meta's form says "If you've already submitted an objection…" while offering the form: that is
    # no notice that this account objected, and the objection must actually go out.
    replica = setup(sandbox, "facebook", "help_mentions_objection")
    checked = await run_flow("facebook", "check")
    assert [str(r.state) for r in checked] == ["on", "on"] and sent(replica) == []
    results = by_setting(await run_flow("facebook", "off"))
    assert [str(results[s].state) for s in FB] == ["submitted", "submitted"], [
        r.detail for r in results.values()
    ]
    assert all(results[s].changed and "objection sent on" in results[s].detail for s in FB)
    assert [(e["setting"], e["status"]) for e in sent(replica)] == [(s, 200) for s in FB]


async def test_confirmation_words_on_the_page_before_the_send_prove_nothing(sandbox, run_flow):
    # The help text already says requests are "applied going forward"; after the send the page shows
    # the same help text and no confirmation: sent, but not confirmed.
    replica = setup(sandbox, "instagram", "help_mentions_objection", "no_confirmation")
    [result] = await run_flow("instagram", "off", find_timeout_s=3)
    assert result.state == "needs_human", result.detail
    assert result.detail.startswith("sent unconfirmed") and len(sent(replica)) == 1


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
async def test_platform_notice_in_the_forms_place_is_submitted_without_sending(
    sandbox, run_flow, platform
):
    replica = setup(sandbox, platform, "already_off")
    results = await run_flow(platform, "off", history=False)
    assert {str(r.state) for r in results} == {"submitted"}
    assert all("already sent" in r.detail and not r.changed for r in results)
    assert sent(replica) == []


# --- 3. Meta as the evidence shows it ----------------------------------------------------------


async def test_meta_2025_send_button_and_confirmation_in_a_dialog(sandbox, run_flow):
    replica = setup(sandbox, "instagram", "confirm_dialog")
    [result] = await run_flow("instagram", "off")
    assert result.state == "submitted" and result.changed, result.detail
    assert result.evidence and result.evidence[0].name.endswith("confirmation.png")
    assert [e["status"] for e in sent(replica)] == [200]


async def test_meta_older_button_and_wording_still_work(sandbox, run_flow):
    replica = setup(sandbox, "instagram", "older_wording")
    [result] = await run_flow("instagram", "off")
    assert result.state == "submitted", result.detail
    assert len(sent(replica)) == 1


async def test_facebook_signs_in_by_field_names_and_picks_the_third_party_choice(sandbox, run_flow):
    # The replica's sign-in fields carry generated ids (as in Jan 2026); the third-party form first
    # asks what the request is about, and shows its fields only after that choice.
    replica = setup(sandbox, "facebook")
    results = by_setting(await run_flow("facebook", "off"))
    assert [str(results[s].state) for s in FB] == ["submitted", "submitted"], [
        r.detail for r in results.values()
    ]
    assert len(replica.events("login")) == 1
    [third] = sent(replica, "third-party-objection")
    assert (
        third["choice"] == "object"
        and third["email"] == SANDBOX_USERNAME
        and third["status"] == 200
    )


async def test_third_party_form_without_the_objection_choice_sends_nothing(sandbox, run_flow):
    replica = setup(sandbox, "facebook", "choice_gone")
    results = by_setting(await run_flow("facebook", "off", find_timeout_s=3))
    third = results["third-party-objection"]
    assert third.state == "broken" and "nothing was sent" in third.detail, third.detail
    assert sent(replica, "third-party-objection") == []
    assert results["ai-objection"].state == "submitted"


# --- 2. required fields, HTTP errors, sent unconfirmed ------------------------------------------


async def test_required_country_stops_before_sending(sandbox, run_flow):
    replica = setup(sandbox, "instagram", "required_country")
    [result] = await run_flow("instagram", "off", form_reason="I object.")
    assert result.state == "needs_human" and not result.changed, result.detail
    assert "nothing was sent" in result.detail and "Country of residence" in result.detail
    assert "help.instagram.com/contact/233964459562201" in result.detail
    assert sent(replica) == []
    # Nothing went out, so nothing is remembered: the next run looks at the form again.
    [again] = await run_flow("instagram", "off")
    assert (
        again.state == "needs_human"
        and "--reason" in again.detail
        and "from history" not in again.detail
    )
    assert sent(replica) == []


async def test_required_explanation_is_filled_from_the_reason(sandbox, run_flow):
    replica = setup(sandbox, "instagram", "required_explanation")
    [stopped] = await run_flow("instagram", "off")
    assert stopped.state == "needs_human" and "nothing was sent" in stopped.detail, stopped.detail
    assert "`optout off instagram --reason" in stopped.detail and sent(replica) == []
    [result] = await run_flow("instagram", "off", form_reason="My photos are my own.")
    assert result.state == "submitted", result.detail
    assert [(e["status"], e["reason"]) for e in sent(replica)] == [(200, "My photos are my own.")]


async def test_http_error_with_confirmation_words_is_error_and_not_remembered(sandbox, run_flow):
    replica = setup(sandbox, "instagram", "error_with_confirmation")
    [result] = await run_flow("instagram", "off")
    assert result.state == "error" and "HTTP 400" in result.detail and not result.changed, (
        result.detail
    )
    sandbox.configure("instagram", reset=False)
    [retried] = await run_flow("instagram", "off")
    assert retried.state == "submitted"
    assert [e["status"] for e in sent(replica)] == [400, 200]


async def test_sent_unconfirmed_is_remembered_and_sent_again_only_on_resend(sandbox, run_flow):
    replica = setup(sandbox, "instagram", "no_confirmation")
    [first] = await run_flow("instagram", "off", find_timeout_s=3)
    assert first.state == "needs_human" and first.changed, first.detail
    assert first.detail.startswith("sent unconfirmed") and "e-mail" in first.detail
    assert first.kind == "sent_unconfirmed" and first.to_dict()["kind"] == "sent_unconfirmed"
    assert "`optout off instagram --resend`" in first.detail
    # Later runs answer from history: nothing is sent again, the site is not even opened.
    second = await run_flow("instagram", "off")
    third = await run_flow("instagram", "check")
    for [r] in (second, third):
        assert r.state == "needs_human" and r.detail.startswith("sent unconfirmed"), r.detail
        assert (
            r.detail.endswith("(from history)") and not r.changed and r.kind == "sent_unconfirmed"
        )
    assert not [d for d in third.drift if d.kind == "login_failing"], (
        "a form sent is no failing sign-in"
    )
    assert len(sent(replica)) == 1 and len(replica.events("login")) == 1
    # --resend sends it again; once the platform confirms, it is submitted and stays so.
    sandbox.configure("instagram", reset=False)
    [resent] = await run_flow("instagram", "off", resend=True)
    assert resent.state == "submitted" and resent.changed, resent.detail
    [after] = await run_flow("instagram", "off")
    assert after.state == "submitted" and "from history" in after.detail
    assert [e["status"] for e in sent(replica)] == [200, 200]


def test_cli_resend_option(browser_path, optout_home):
    def invoke(*args, input=None):
        return CliRunner().invoke(
            cli,
            ["--browser-path", browser_path, "--sandbox", *args],
            input=input,
            catch_exceptions=False,
        )

    box = Sandbox.for_profile("default")
    box.configure("instagram", "no_confirmation", password=SENTINEL_PASSWORD)
    invoke("account", "add", "instagram", input=f"{SANDBOX_USERNAME}\n{SENTINEL_PASSWORD}\n")
    first = invoke("--json", "off", "instagram")
    [row] = json.loads(first.stdout)["results"]
    assert first.exit_code == 4 and row["state"] == "needs_human" and "--resend" in row["detail"], (
        first.output
    )
    again = invoke("--json", "off", "instagram")
    assert json.loads(again.stdout)["results"][0]["detail"].endswith("(from history)")
    resent = invoke("--json", "off", "instagram", "--resend")
    assert json.loads(resent.stdout)["results"][0]["state"] == "needs_human"
    assert len(Sandbox.for_profile("default").replica("instagram").events("submission")) == 2


# --- 4. LinkedIn's type of objection -----------------------------------------------------------


async def test_linkedin_objection_picks_the_ai_training_type(sandbox, run_flow):
    replica = setup(sandbox, "linkedin")
    results = by_setting(await run_flow("linkedin", "off"))
    assert results["ai-objection"].state == "submitted", results["ai-objection"].detail
    assert [(e["choice"], e["status"]) for e in sent(replica)] == [("object", 200)]


async def test_linkedin_objection_without_an_ai_training_type_sends_nothing(sandbox, run_flow):
    replica = setup(sandbox, "linkedin", "choice_gone")
    results = by_setting(await run_flow("linkedin", "off", find_timeout_s=3))
    objection = results["ai-objection"]
    assert objection.state == "broken" and "nothing was sent" in objection.detail, objection.detail
    assert sent(replica) == []


# --- 5. the patterns are flow data the schema checks --------------------------------------------


def test_already_submitted_must_name_the_forms_place():
    from pydantic import ValidationError

    from optout.flowfile.controls import Form

    base = {
        "kind": "form",
        "form": {"role": "button", "name": ["Send"]},
        "submit": {"role": "button", "name": ["Send"]},
        "confirmation": {"texts": ["received"]},
    }
    with pytest.raises(ValidationError):
        Form.model_validate({**base, "already_submitted": {"texts": ["already submitted"]}})
    form = Form.model_validate(
        {
            **base,
            "already_submitted": {"at": {"css": "[role=status]"}, "texts": ["^already"]},
            "choose": [{"pick": [{"role": "radio", "name": ["object"]}]}],
        }
    )
    assert form.check_required and not form.choose[0].optional
    with pytest.raises(ValidationError):
        Form.model_validate({**base, "choose": [{"pick": []}]})
