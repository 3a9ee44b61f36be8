"""The services' pages in French and German (hub/services/base/languages.py): every message
the pages translate is in each catalogue, translated, with the same placeholders; the
reader's language is negotiated from Accept-Language. The JupyterLab extension's messages
likewise (extensions/echoes/translations.py), their JSON current and found by
jupyterlab_server beside its language packs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from echoes.translations import as_json, catalogues
from echoes_hub.services.base import languages
from echoes_hub.services.base.languages import LANGUAGES, negotiate, speaking, translations
from echoes_hub.services.twins.contribute.mapping import FIELDS
from echoes_hub.services.twins.contribute.publish import LICENCES
from echoes_hub.services.twins.pages import GROUP_PHRASES
from echoes_hub.services.twins.related import HEADINGS

SERVICES = Path(languages.__file__).resolve().parent.parent
#: Python modules whose `_("...")` are messages of the pages.
MODULES = ["twins/pages.py", "twins/related.py"]
#: Tornado templates whose `_("...")` are messages.
TEMPLATES = ["twins/contribute.html"]
#: Messages translated from tables (``_(table[key])``), not from literals.
TABLES = [FIELDS, LICENCES, GROUP_PHRASES, HEADINGS]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{\}")
#: ``_("...")`` or ``_('...')`` of one literal: in templates, and inside f-strings (which
#: Babel's extractor reads as strings, not calls).
CALL = re.compile(r"""\b_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\)""")


def messages() -> set[str]:
    found = set()
    for module in MODULES:
        for _, message, _, _ in extract_from_file("python", SERVICES / module, {"_": None}):
            found.add(message)
    for path in [*MODULES, *TEMPLATES]:
        for double, single in CALL.findall((SERVICES / path).read_text()):
            found.add((double or single).replace('\\"', '"').replace("\\'", "'"))
    for table in TABLES:
        found |= set(table.values())
    return found


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_message_is_translated_with_its_placeholders(language):
    with languages.catalogue(language).open("rb") as po:
        catalogue = read_po(po, locale=language)
    translated = {m.id: m.string for m in catalogue if m.id}
    wanted = messages()
    assert len(wanted) > 100  # the extraction finds the pages' messages
    missing = sorted(wanted - set(translated))
    assert not missing, f"{language}: {len(missing)} messages without a translation: {missing}"
    stale = sorted(set(translated) - wanted)
    assert not stale, f"{language}: translations of messages no page has: {stale}"
    for message in wanted:
        string = translated[message]
        assert string.strip(), f"{language}: {message!r} is not translated"
        same = sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(message))
        assert same, f"{language}: {message!r} -> {string!r} changes the placeholders"
    assert translations(language).gettext("Back") != "Back"


def test_the_reader_s_language_is_negotiated_from_accept_language():
    assert negotiate(None) == negotiate("") == negotiate("ja, zh;q=0.8") == "en"
    assert negotiate("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7") == "fr"
    assert negotiate("en;q=0.5, de-AT;q=0.9") == "de"
    assert negotiate("es, de;q=0.1") == "de"
    assert negotiate("de;q=0, fr;q=bad, en") == "en"  # q=0: not wanted; a bad q: left out


def test_a_message_is_said_in_the_language_spoken_in_its_block_only():
    from echoes_hub.services.base.languages import _

    with speaking("de"):
        assert _("Names") == "Namen"
        with speaking("fr"):
            assert _("Names") == "Noms"
        assert _("Names") == "Namen"
    assert _("Names") == "Names"
    assert _("not a message of ours") == "not a message of ours"


#: The JupyterLab extension's sources, whose ``trans.__('...')`` and ``trans._n('...',
#: '...', n)`` are the messages of the domain echoes_vre_lab.
LAB_SOURCES = Path(__file__).resolve().parents[2] / "extensions" / "labextension" / "src"
LAB_CALL = re.compile(
    r"""\btrans\.(__|_n)\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")"""
    r"""(?:\s*,\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"))?"""
)
LAB_PLACEHOLDER = re.compile(r"%\d")


def lab_messages() -> dict[str, str | None]:
    """Each message of the extension, and its plural (None: it has none)."""
    found: dict[str, str | None] = {}
    for source in sorted(LAB_SOURCES.glob("*.ts")):
        for kind, single, double, plural_single, plural_double in LAB_CALL.findall(
            source.read_text()
        ):
            found[single or double] = (plural_single or plural_double) if kind == "_n" else None
    return found


@pytest.mark.parametrize("po", catalogues(), ids=lambda p: p.parent.parent.name)
def test_the_jupyterlab_extension_s_messages_are_translated_and_its_json_is_current(po):
    with po.open("rb") as file:
        catalogue = read_po(file, locale=po.parent.parent.name)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalogue if m.id}
    wanted = lab_messages()
    assert len(wanted) > 50  # the extraction finds the extension's messages
    assert sorted(set(wanted) - set(translated)) == [], "messages without a translation"
    assert sorted(set(translated) - set(wanted)) == [], "translations no source uses"
    for message, plural in wanted.items():
        strings = translated[message].string
        strings = list(strings) if isinstance(strings, tuple) else [strings]
        assert all(s.strip() for s in strings), f"{message!r} is not translated"
        assert bool(plural) == (len(strings) > 1), f"{message!r}: singular or plural?"
        for string in strings:
            same = sorted(set(LAB_PLACEHOLDER.findall(string))) == sorted(
                set(LAB_PLACEHOLDER.findall(message))
            )
            assert same, f"{message!r} -> {string!r} changes the placeholders"
    written = json.loads(po.with_suffix(".json").read_text(encoding="utf-8"))
    assert written == as_json(po), f"{po.with_suffix('.json')} is stale: run make translations"
    assert written[""]["language"] == po.parent.parent.name.replace("_", "-")


def test_jupyterlab_finds_the_translations_of_the_extension():
    """jupyterlab_server's own lookup (the /lab/api/translations answer) merges them."""
    from jupyterlab_server.translation_utils import get_language_pack

    for language, header in (
        ("fr_FR", "Catalogues du patrimoine"),
        ("de_DE", "Kulturerbe-Kataloge"),
    ):
        pack, message = get_language_pack(language)
        assert not message.strip(), message
        assert pack["echoes_vre_lab"]["Heritage catalogs"] == [header]
