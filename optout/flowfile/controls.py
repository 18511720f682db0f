"""The controls a flow's setting can name (its `control:`), each told apart by `kind`: a switch or
checkbox, an objection form, a select or radio group, a menu. Each says how its state is read and
what opted out reads as; optout.engine.controls and forms.py act on them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from optout.flowfile.parts import Locator, Signal, Strict, check_regexes


class Switch(Strict):
    """A switch or checkbox, read from aria-checked / checked."""

    #: `switch` or `checkbox`: what the setting is called in results.
    kind: Literal["switch", "checkbox"]
    #: The ARIA role the control is located by.
    role: Literal["switch", "checkbox"]
    #: Accessible names per UI language (BCP 47 primary tag, e.g. "en", "de").
    names: dict[str, list[str]]
    #: What "opted out" reads as. Most are "unchecked"; a "Block AI training" box is "checked".
    opted_out_when: Literal["unchecked", "checked"] = "unchecked"

    @field_validator("names")
    @classmethod
    def _names(cls, names):
        if not names or not any(names.values()):
            raise ValueError('give at least one label, e.g. names: {en: ["…"]}')
        return names


class FormField(Strict):
    #: reason: the person's optional free text (default empty); email: the account's username.
    fill: Literal["reason", "email"]
    #: The field typed into.
    into: Locator
    #: A field that is not on the page is skipped (else the form is not sent).
    optional: bool = True


class FormChoice(Strict):
    """A choice the form asks before (or besides) its fields: a radio, a checkbox, or an option of
    a dropdown, picked by its name. The first of `pick` found exactly once is chosen; when none is
    found the form is not sent (`broken`), since a wrong choice would send the wrong request."""

    #: The options to choose, in order of preference.
    pick: list[Locator] = Field(min_length=1)
    #: What the choice brings into view (the fields it reveals); waited for after picking.
    reveals: Locator | None = None
    #: Some versions of the form do not ask this: then the form is sent without it.
    optional: bool = False


class Notice(Strict):
    """A notice in the form's own place on the page (never a phrase anywhere in the body): an
    element matching `at` whose own text matches one of `texts`."""

    #: The element holding the notice.
    at: Locator
    #: Patterns its own text must match (one is enough).
    texts: list[str] = Field(min_length=1)

    _v = field_validator("texts")(check_regexes)


class Form(Strict):
    """An objection form: sent once, then reported `submitted` (history remembers it)."""

    #: Always `form`.
    kind: Literal["form"]
    #: The element that shows the form is offered (usually its submit button).
    form: Locator
    #: Choices made, in order, before the fields are filled (e.g. which request this is).
    choose: list[FormChoice] = Field(default_factory=list)
    #: Fields filled before sending.
    fields: list[FormField] = Field(default_factory=list)
    #: The button that sends the form.
    submit: Locator
    #: What the page shows once the objection was received. Counts only when it appeared after
    #: this run's own send (a page that already showed the words before the click proves nothing).
    confirmation: Signal
    #: The platform's own "you have already objected" notice, found in the form's place.
    already_submitted: Notice | None = None
    #: Before sending, stop when a field marked required (required / aria-required) is empty: a
    #: field the flow cannot fill (a country, an explanation) means the person must act.
    check_required: bool = True


class Choice(Strict):
    """A select (dropdown) or a radio group: the chosen option is the state."""

    #: `select` (a dropdown) or `radio` (a radio group).
    kind: Literal["select", "radio"]
    #: select: the accessible name of the combobox. radio: unused (options are located by name).
    names: dict[str, list[str]] = Field(default_factory=dict)
    #: Option labels per language that mean opted out, and those that mean training is on.
    off_options: dict[str, list[str]]
    #: Option labels per language that mean training is on.
    on_options: dict[str, list[str]]

    @model_validator(mode="after")
    def _select_named(self):
        if self.kind == "select" and not any(self.names.values()):
            raise ValueError("a select needs names: the accessible name of the dropdown")
        return self


class Menu(Strict):
    """A button showing the state ("On"/"Off") that opens a menu; off is one exact menu item."""

    #: Always `menu`.
    kind: Literal["menu"]
    #: Accessible names of the button that shows the state, per language.
    names: dict[str, list[str]]
    #: The button's texts meaning training is on, per language.
    on_texts: dict[str, list[str]]
    #: The button's texts meaning opted out, per language.
    off_texts: dict[str, list[str]]
    #: The menu item that switches off, matched exactly (never a "...and delete" sibling).
    item: dict[str, list[str]]


Control = Annotated[Switch | Form | Choice | Menu, Field(discriminator="kind")]
