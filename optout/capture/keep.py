"""What text a capture keeps: only what the flow itself looks for (every name, text and regex in
the flow file, in all its languages) and a short list of words every interface shows. Everything
else the walker found is replaced, so a capture shows the page's shape and the words the flow
needs, never what the person wrote or what the platform shows about them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel

from optout.flowfile import patterns
from optout.flowfile.parts import Locator, Signal
from optout.flowfile.schema import Flow

#: Words of buttons and switches every interface shows, in the languages flows declare (en, de, fr,
#: es, it, nl, pl, pt, sv). The flows and docs/research/languages-2026-12.md source the labels
#: flows match; these common words are not sourced per platform: they are the usual translations,
#: kept only when a text or value is one of them in full (a word inside a sentence is replaced).
UI_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "On",
        "Off",
        "Save",
        "Save changes",
        "Done",
        "Send",
        "Submit",
        "Next",
        "Continue",
        "Back",
        "Cancel",
        "Close",
        "Yes",
        "No",
        "OK",
        "Settings",
        "Privacy",
        "Edit",
        "Confirm",
        "Apply",
        "Learn more",
        "Turn off",
        "Turn on",
        "Enabled",
        "Disabled",
        "Allow",
        "Block",
        "Menu",
        "Search",
        "Home",
        "Sign in",
        "Log in",
        "Sign out",
        "Log out",
        "Help",
    ),
    "de": (
        "Ein",
        "Aus",
        "An",
        "Speichern",
        "Fertig",
        "Senden",
        "Absenden",
        "Weiter",
        "Zurück",
        "Abbrechen",
        "Schließen",
        "Ja",
        "Nein",
        "Einstellungen",
        "Datenschutz",
        "Bearbeiten",
        "Bestätigen",
        "Mehr erfahren",
        "Ausschalten",
        "Einschalten",
        "Anmelden",
        "Abmelden",
        "Hilfe",
    ),
    "fr": (
        "Activé",
        "Désactivé",
        "Enregistrer",
        "Terminé",
        "Envoyer",
        "Soumettre",
        "Suivant",
        "Continuer",
        "Retour",
        "Annuler",
        "Fermer",
        "Oui",
        "Non",
        "Paramètres",
        "Confidentialité",
        "Modifier",
        "Confirmer",
        "En savoir plus",
        "Désactiver",
        "Activer",
        "Se connecter",
        "Aide",
    ),
    "es": (
        "Activado",
        "Desactivado",
        "Guardar",
        "Listo",
        "Enviar",
        "Siguiente",
        "Continuar",
        "Atrás",
        "Cancelar",
        "Cerrar",
        "Sí",
        "No",
        "Configuración",
        "Privacidad",
        "Editar",
        "Confirmar",
        "Más información",
        "Desactivar",
        "Activar",
        "Iniciar sesión",
        "Ayuda",
    ),
    "it": (
        "Attivo",
        "Disattivo",
        "Salva",
        "Fatto",
        "Invia",
        "Avanti",
        "Continua",
        "Indietro",
        "Annulla",
        "Chiudi",
        "Sì",
        "No",
        "Impostazioni",
        "Privacy",
        "Modifica",
        "Conferma",
        "Scopri di più",
        "Disattiva",
        "Attiva",
        "Accedi",
        "Aiuto",
    ),
    "nl": (
        "Aan",
        "Uit",
        "Opslaan",
        "Klaar",
        "Verzenden",
        "Versturen",
        "Volgende",
        "Doorgaan",
        "Terug",
        "Annuleren",
        "Sluiten",
        "Ja",
        "Nee",
        "Instellingen",
        "Privacy",
        "Bewerken",
        "Bevestigen",
        "Meer informatie",
        "Uitschakelen",
        "Inschakelen",
        "Inloggen",
        "Help",
    ),
    "pl": (
        "Wł.",
        "Wył.",
        "Włączone",
        "Wyłączone",
        "Zapisz",
        "Gotowe",
        "Wyślij",
        "Dalej",
        "Kontynuuj",
        "Wstecz",
        "Anuluj",
        "Zamknij",
        "Tak",
        "Nie",
        "Ustawienia",
        "Prywatność",
        "Edytuj",
        "Potwierdź",
        "Dowiedz się więcej",
        "Wyłącz",
        "Włącz",
        "Zaloguj się",
        "Pomoc",
    ),
    "pt": (
        "Ativado",
        "Desativado",
        "Salvar",
        "Guardar",
        "Concluído",
        "Enviar",
        "Próximo",
        "Seguinte",
        "Continuar",
        "Voltar",
        "Cancelar",
        "Fechar",
        "Sim",
        "Não",
        "Configurações",
        "Definições",
        "Privacidade",
        "Editar",
        "Confirmar",
        "Saiba mais",
        "Desativar",
        "Ativar",
        "Entrar",
        "Ajuda",
    ),
    "sv": (
        "På",
        "Av",
        "Spara",
        "Klar",
        "Skicka",
        "Nästa",
        "Fortsätt",
        "Tillbaka",
        "Avbryt",
        "Stäng",
        "Ja",
        "Nej",
        "Inställningar",
        "Integritet",
        "Redigera",
        "Bekräfta",
        "Läs mer",
        "Stäng av",
        "Slå på",
        "Logga in",
        "Hjälp",
    ),
}

#: The fields of the schema that hold literal names (matched the way `names_pattern` does: as a
#: part of a name, ignoring case), keyed by language or listed.
_LITERAL_FIELDS = {
    "names",
    "off_options",
    "on_options",
    "on_texts",
    "off_texts",
    "item",
    "decline",
    "never",
}
#: CSS attribute selectors of a flow: `[name=session_key]`, `[src*='arkoselabs']`.
_CSS_ATTR = re.compile(
    r"""\[\s*([A-Za-z_:][-\w:.]*)\s*(?:([~|^$*]?)=\s*(?:"([^"]*)"|'([^']*)'|([^\]\s]*)))?\s*\]"""
)


@dataclass
class Keeper:
    """The patterns of one flow, ready to find the parts of a text a capture may keep."""

    literals: list[str] = field(default_factory=list)
    regexes: list[str] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    #: attribute name → (operator, value) pairs the flow's CSS selectors look for (an empty set: the
    #: attribute is looked for by presence only, so its value itself is not kept).
    css_attrs: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    #: The flow's own addresses (its pages' scheme+host+path) and URL patterns, and its domains:
    #: a link elsewhere on the platform keeps its host, not its path (`/in/jane-doe`).
    urls: set[str] = field(default_factory=set)
    url_regexes: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    #: The flow's CSS selectors, and the ids, classes and tags they name (css_tokens).
    selectors: list[str] = field(default_factory=list)
    _tokens: tuple | None = None

    @classmethod
    def for_flow(cls, flow: Flow) -> Keeper:
        keeper = cls()
        keeper._collect(flow)
        keeper.domains = list(flow.domains)
        langs = set(flow.languages) | {"en"}
        keeper.words = {w.casefold() for lang in langs for w in UI_WORDS.get(lang, ())}
        keeper.literals = sorted({n for n in keeper.literals if n.strip()}, key=len, reverse=True)
        keeper.regexes = list(dict.fromkeys(keeper.regexes))
        return keeper

    def _collect(self, node) -> None:
        if isinstance(node, Locator):
            self.literals += node.name + node.text
            if node.css:
                self._css(node.css)
        if isinstance(node, Signal):
            self.regexes += node.texts
            self.url_regexes += node.urls
        if isinstance(node, BaseModel):
            for name in type(node).model_fields:
                value = getattr(node, name)
                if name in _LITERAL_FIELDS:
                    self.literals += _strings(value)
                if name == "texts" and not isinstance(
                    node, Signal
                ):  # a Notice's texts are regexes too
                    self.regexes += _strings(value)
                if name == "url" and isinstance(value, str) and "{item}" not in value:
                    self.urls.add(_bare(value))
                if name in ("decline_css",):
                    for css in _strings(value):
                        self._css(css)
                self._collect(value)
        elif isinstance(node, dict):
            for value in node.values():
                self._collect(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                self._collect(value)

    def _css(self, css: str) -> None:
        self.selectors.append(css)
        for match in _CSS_ATTR.finditer(css):
            value = next((g for g in match.groups()[2:] if g), "")
            values = self.css_attrs.setdefault(match.group(1).lower(), set())
            if value:
                values.add((match.group(2) or "", value))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where in `text` the flow's names and patterns match (the parts a capture keeps)."""
        found: list[tuple[int, int]] = []
        lowered = text.casefold() if len(text.casefold()) == len(text) else None
        for name in self.literals:
            if lowered is not None:
                needle, start = name.casefold(), 0
                while (at := lowered.find(needle, start)) >= 0:
                    found.append((at, at + len(needle)))
                    start = at + 1
            else:
                found += [m.span() for m in re.finditer(re.escape(name), text, re.IGNORECASE)]
        for pattern in self.regexes:
            for match in patterns.finditer_text(pattern, text):
                if match.end() > match.start():
                    found.append(match.span())
        return found

    def whole_word(self, text: str) -> bool:
        """Whether a whole text (a button's, a value) is one of the UI words."""
        return " ".join(text.split()).casefold() in self.words

    def url(self, url: str) -> str:
        """What a capture keeps of a link or a source: scheme, host and path when the flow knows
        the address (one of its pages, a URL pattern it looks for); else the path becomes "/▒",
        and a host inside the platform's domains that the flow does not name (`jane.substack.com`)
        becomes "▒." and the domain. Never a query or a fragment."""
        bare = _bare(url)
        if not bare or bare in self.urls:
            return bare
        parts = urlsplit(bare)
        host = parts.hostname or ""
        known = {urlsplit(u).hostname for u in self.urls}
        inside = [d for d in self.domains if host == d or host.endswith("." + d)]
        path, matched = (parts.path if parts.path in ("", "/") else "/▒"), False
        for pattern in self.url_regexes:  # a pattern's match, not what follows it (`/in/` + a name)
            match = patterns.search_url(pattern, bare)
            if (
                match
                and match.start() == 0
                and match.end() >= len(f"{parts.scheme}://{parts.hostname}")
            ):
                matched = True
                if match.end() > len(f"{parts.scheme}://{parts.hostname}"):
                    path = bare[len(f"{parts.scheme}://{parts.hostname}") : match.end()]
                    path += "▒" if match.end() < len(bare) else ""
                break
        if inside and host not in known and host not in self.domains:
            host = f"▒.{inside[0]}"
        elif not inside and host not in known and not matched:
            host = (
                "▒"  # a foreign host the flow does not name (`jane-doe.example`, a personal site)
            )
        return f"{parts.scheme}://{host}{path}"

    def css_tokens(self) -> tuple[set[str], set[str], set[str]]:
        """The ids, classes and tag names the flow's CSS selectors name (`#identifierId`,
        `.toggle`, `shreddit-toggle`): what a capture keeps of them for the flow to find."""
        if self._tokens is None:
            ids, classes, tags = set(), set(), set()
            for css in self.selectors:
                plain = _CSS_ATTR.sub(" ", css)
                ids |= set(re.findall(r"#([A-Za-z_][-\w]*)", plain))
                classes |= set(re.findall(r"\.([A-Za-z_-][-\w]*)", plain))
                tags |= {
                    t.lower() for t in re.findall(r"(?:^|[\s>+~,(])([A-Za-z][-A-Za-z0-9]*)", plain)
                }
                for _op, value in self.css_attrs.get("id", set()):
                    ids.add(value)
                for _op, value in self.css_attrs.get("class", set()):
                    classes |= set(value.split())
            self._tokens = (ids, classes, tags)
        return self._tokens

    def css_value(self, attr: str, value: str) -> bool:
        """Whether an attribute's value is one the flow's selectors look for (`name=session_key`)."""
        for op, wanted in self.css_attrs.get(attr, set()):
            if value == wanted or (op == "~" and wanted in value.split()):
                return True
            if (
                (op == "*" and wanted in value)
                or (op == "^" and value.startswith(wanted))
                or (op == "$" and value.endswith(wanted))
                or (op == "|" and value.startswith(wanted + "-"))
            ):
                return True
        return False


def _bare(url: str) -> str:
    """A URL as scheme, host and path: no query, no fragment, no user or port."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return ""
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []
