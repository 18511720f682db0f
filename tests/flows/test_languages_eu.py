"""Europe (issue 15): German and French pages of LinkedIn, X and Meta's objection forms are read by
their controls' state and switched like English ones; a language a setting lacks stays broken with
nothing touched; a form sent where its confirmation is not sourced is never `submitted`."""

from __future__ import annotations

from pathlib import Path

import pytest

from optout.flowfile.folders import Layers
from optout.flowfile.layers import load_flows

SWITCHED = {"linkedin": ["generative-ai"], "x": ["training", "personalization", "memory"]}
platforms = pytest.mark.parametrize("platform", ["linkedin", "x"])


@pytest.fixture
def run(run_flow, only_flows):
    """off on one platform, every setting, no history; returns {setting id: result}."""

    async def _run(platform, **opts):
        results = await run_flow(
            platform,
            "off",
            flows_dir=only_flows(platform),
            all_settings=True,
            history=False,
            **opts,
        )
        return {r.setting: r for r in results}

    return _run


def saves(replica) -> list:
    return [e for e in replica.events("save")]


@platforms
@pytest.mark.parametrize("language", ["german", "french"])
async def test_localized_page_is_read_and_switched_off(configure, run, platform, language):
    replica = configure(platform, language)
    results = await run(platform)
    for setting in SWITCHED[platform]:
        assert results[setting].state == "off" and results[setting].changed, (
            setting,
            results[setting].detail,
        )
        assert replica.state["settings"][setting] is False
    if (
        platform == "linkedin"
    ):  # its objection form knows English only: never sent on another language's page
        lang = "de" if language == "german" else "fr"
        assert (
            results["ai-objection"].state == "broken"
            and f"'{lang}'" in results["ai-objection"].detail
        )
        assert replica.events("submission") == []


@pytest.mark.parametrize(
    "language, lang", [("spanish", "es"), ("italian", "it"), ("portuguese", "pt")]
)
async def test_linkedin_switch_in_press_sourced_languages_is_switched_off(
    configure, run, language, lang
):
    replica = configure("linkedin", language)
    results = await run("linkedin")
    assert results["generative-ai"].state == "off" and results["generative-ai"].changed, results[
        "generative-ai"
    ].detail
    assert replica.state["settings"]["generative-ai"] is False
    if (
        lang == "it"
    ):  # the replica's objection form is Italian only then; the flow knows it in English only
        assert (
            results["ai-objection"].state == "broken"
            and f"'{lang}'" in results["ai-objection"].detail
        )
        assert replica.events("submission") == []


@pytest.mark.parametrize("already_off", [False, True])
async def test_linkedin_state_word_never_decides(configure, run, already_off):
    """Italian shows Sì/No beside the switch; here the word says the opposite of the switch."""
    replica = configure(
        "linkedin", "italian", "state_word_lies", *(["already_off"] if already_off else [])
    )
    result = (await run("linkedin"))["generative-ai"]
    assert result.state == "off" and result.changed is not already_off, result.detail
    assert replica.state["settings"]["generative-ai"] is False
    assert len(saves(replica)) == (0 if already_off else 1)


@pytest.mark.parametrize("language", ["danish", "finnish"])
async def test_x_nordic_bundle_labels_are_read_and_switched_off(configure, run, language):
    """X's own da/fi bundle strings (DzikStar/X-SCRAPER client-web/i18n at 9cd43d52), sign-in included."""
    replica = configure("x", language)
    results = await run("x")
    for setting in SWITCHED["x"]:
        assert results[setting].state == "off" and results[setting].changed, (
            setting,
            results[setting].detail,
        )
        assert replica.state["settings"][setting] is False


@pytest.mark.parametrize("language", ["danish", "finnish"])
async def test_x_nordic_already_off_is_never_clicked(configure, run, language):
    replica = configure("x", language, "already_off")
    results = await run("x")
    for setting in SWITCHED["x"]:
        assert results[setting].state == "off" and not results[setting].changed, results[
            setting
        ].detail
    assert saves(replica) == []


@platforms
async def test_german_already_off_is_never_clicked(configure, run, platform):
    replica = configure(platform, "german", "already_off")
    results = await run(platform)
    for setting in SWITCHED[platform]:
        assert results[setting].state == "off" and not results[setting].changed, results[
            setting
        ].detail
    assert saves(replica) == []


@platforms
async def test_german_save_fails_is_never_off(configure, run, platform):
    configure(platform, "german", "save_fails")
    results = await run(platform)
    for setting in SWITCHED[platform]:
        assert results[setting].state != "off", results[setting].detail


@platforms
async def test_language_the_flow_lacks_is_broken_with_nothing_touched(configure, run, platform):
    replica = configure(platform, "language")
    results = await run(platform)
    for setting in SWITCHED[platform]:
        assert results[setting].state == "broken", results[setting].detail
        assert "does not know" in results[setting].detail
    assert saves(replica) == [] and replica.events("submission") == []


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
async def test_portuguese_form_is_sent_with_its_sourced_button_and_stays_unconfirmed(
    configure, run, platform
):
    """pt: "Enviar" is sourced (pcguia.pt 2025-05), the confirmation is not."""
    replica = configure(platform, "portuguese")
    results = await run(platform)
    sent = results["ai-objection"]
    assert sent.state == "needs_human" and "unconfirmed" in sent.detail, sent.detail
    assert [e["setting"] for e in replica.events("submission")] == ["ai-objection"]


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
async def test_spanish_form_is_never_sent_though_its_button_reads_a_known_word(
    configure, run, platform
):
    """The replica's Spanish form sends with "Enviar", a word the flows know as Portuguese: the
    page's language (es) is one the setting lacks, so nothing is sent, and the detail says why."""
    replica = configure(platform, "spanish")
    results = await run(platform)
    refused = results["ai-objection"]
    assert refused.state == "broken" and "'es'" in refused.detail, refused.detail
    assert "no es: no source quotes the form's send button" in refused.detail
    assert replica.events("submission") == []


@pytest.mark.parametrize("language, button", [("german", "Senden"), ("french", "Envoyer")])
async def test_facebook_form_sends_but_stays_unconfirmed(configure, run, language, button):
    replica = configure("facebook", language)
    results = await run("facebook")
    sent = results["ai-objection"]
    assert sent.state == "needs_human" and "unconfirmed" in sent.detail, sent.detail
    # the English-only third-party form is never sent on a German or French page
    assert results["third-party-objection"].state == "broken"
    assert [e["setting"] for e in replica.events("submission")] == ["ai-objection"]


def test_each_setting_knows_only_its_sourced_languages():
    flows = load_flows(Layers.person())
    known = {
        (f.id, s.id): s.known_languages(f.languages) for f in flows.values() for s in f.settings
    }
    assert known[("linkedin", "generative-ai")] == ["en", "de", "fr", "nl", "pl", "es", "it", "pt"]
    assert known[("linkedin", "ai-objection")] == ["en"]
    assert known[("x", "training")] == [
        "en",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "pl",
        "pt",
        "sv",
        "da",
        "fi",
    ]
    assert known[("facebook", "third-party-objection")] == ["en"]
    assert known[("facebook", "ai-objection")] == ["en", "de", "fr", "it", "nl", "pt"]
    assert known[("instagram", "ai-objection")] == ["en", "de", "fr", "it", "nl", "pt"]


def test_each_setting_says_which_eu_languages_it_lacks_and_why():
    flows = load_flows(Layers.person())
    missing = {
        (f.id, s.id): s.missing_languages(f.languages) for f in flows.values() for s in f.settings
    }
    assert missing[("x", "training")] == {}
    assert list(missing[("linkedin", "generative-ai")]) == ["sv"]
    assert list(missing[("facebook", "ai-objection")]) == ["es", "pl", "sv"]
    assert list(missing[("linkedin", "ai-objection")]) == [
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "pl",
        "pt",
        "sv",
    ]
    assert list(missing[("facebook", "third-party-objection")]) == [
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "pl",
        "pt",
        "sv",
    ]
    for platform in (
        "x",
        "linkedin",
        "facebook",
        "instagram",
    ):  # each searched for: every reason is the flow's own
        for (flow_id, setting), reasons in missing.items():
            if flow_id == platform:
                assert all("searched" in why or "quoted" in why for why in reasons.values()), (
                    setting,
                    reasons,
                )
    # a flow that was never researched says so rather than staying silent
    assert set(missing[("github", "copilot-training")].values()) == {
        "not researched: no localized source looked for yet"
    }


def test_a_language_cannot_be_both_known_and_missing():
    import yaml

    from optout.flowfile.schema import Flow

    data = yaml.safe_load(
        (Path(__file__).parents[2] / "flows" / "linkedin.yaml").read_text(encoding="utf-8")
    )
    data["settings"][0]["languages_missing"]["de"] = "not found"
    with pytest.raises(ValueError, match="languages_missing"):
        Flow.model_validate(data)


def test_platforms_json_and_readme_show_each_settings_languages(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from optout.catalog import markdown_table
    from optout.cli import cli

    monkeypatch.setenv("OPTOUT_CACHE_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["--json", "platforms"], catch_exceptions=False)
    by_id = {f["platform"]: {s["id"]: s for s in f["settings"]} for f in json.loads(result.stdout)}
    assert by_id["x"]["training"]["languages"] == [
        "en",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "pl",
        "pt",
        "sv",
        "da",
        "fi",
    ]
    assert by_id["linkedin"]["ai-objection"]["languages"] == ["en"]
    assert list(by_id["linkedin"]["generative-ai"]["languages_missing"]) == ["sv"]
    assert "Swedish" in by_id["linkedin"]["generative-ai"]["languages_missing"]["sv"]
    assert by_id["x"]["training"]["languages_missing"] == {}
    table = markdown_table(list(load_flows(Layers.person()).values()))
    assert "| switch | on | en de fr nl pl es it pt; not found: sv |" in table
    assert "| form | on | en de fr it nl pt; not found: es pl sv |" in table


def test_platforms_text_says_why_a_language_is_missing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from optout.cli import cli

    monkeypatch.setenv("OPTOUT_CACHE_HOME", str(tmp_path))
    out = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["platforms"], catch_exceptions=False).stdout
    block = out[out.index("LinkedIn") : out.index("Medium")]
    assert "No sv: no Swedish source quotes the switch" in " ".join(block.split())


@platforms
async def test_german_page_with_a_changed_label_is_broken(configure, run, platform):
    replica = configure(platform, "german", "label_gone")
    results = await run(platform, find_timeout_s=2)
    first = SWITCHED[platform][0]
    assert results[first].state == "broken", results[first].detail
    assert [e for e in saves(replica) if e.get("setting", first) == first] == []


async def test_italian_form_is_confirmed_by_its_sourced_confirmation(configure, run):
    replica = configure("instagram", "italian")
    results = await run("instagram")
    assert results["ai-objection"].state == "submitted", results["ai-objection"].detail
    assert len(replica.events("submission")) == 1


HANDLE = "demo_handle"  # X's unusual-activity question asks for a phone number or username


@pytest.mark.parametrize("language", ["german", "spanish"])
async def test_x_sign_in_answers_its_sourced_unusual_activity_question(
    configure, run, sentinel_password, language
):
    """A German (Spanish) member's X signs in on German (Spanish) pages and asks the unusual-activity
    question in that language: the stored username answers it, the password follows, the switch goes off."""
    from optout.credentials import Credential

    replica = configure("x", language, "identifier_step", username=HANDLE)
    results = await run("x", credential=Credential(HANDLE, sentinel_password))
    assert results["training"].state == "off" and results["training"].changed, results[
        "training"
    ].detail
    assert [e["ok"] for e in replica.events("identifier")] == [True]
    assert [e["ok"] for e in replica.events("login")] == [True]


@pytest.mark.parametrize(
    "heading, answered",
    [
        ("Enter your phone number or username", True),
        ("Gib deine Telefonnummer oder deinen Nutzernamen ein", True),
        ("Introduce tu número de teléfono o nombre de usuario", True),
        ("Digite seu número de celular ou nome de usuário", True),
        ("Wprowadź swój numer telefonu lub nazwę użytkownika", True),
        # not sourced: the replica's own French words, and X's first-step fields (not the question)
        ("Numéro de téléphone ou nom d'utilisateur", False),
        ("Telefonnummer, E-Mail-Adresse oder Nutzername", False),
        ("Teléfono, correo electrónico o nombre de usuario", False),
    ],
)
def test_x_answers_the_unusual_activity_question_only_in_its_sourced_wordings(heading, answered):
    [step] = [
        s
        for s in load_flows(Layers.person())["x"].login.steps
        if s.fill == "username" and s.accepts == ["username"]
    ]
    assert step.when.matches_text(heading) is answered
