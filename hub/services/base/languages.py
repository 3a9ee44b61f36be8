"""The languages the services' pages speak: English (the messages as written in the code),
French and German, from the gettext catalogues ``hub/services/locale/<language>/
LC_MESSAGES/echoes.po`` (the translators' files, read once with Babel: nothing compiled
is kept in git).

A page's language is the reader's choice (``?lang=``, then kept in the ``echoes-lang``
cookie), else the first of their browser's (``Accept-Language``) that is spoken here, else
English. Tornado templates translate with their ``_``; pages written in Python
(twins/pages.py) with `_` here, inside ``with speaking(language):``.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, cached_property
from html import escape
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from tornado import locale, web

#: The languages spoken, each named in itself (the pages' language links).
LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}
#: Where each language's catalogue is, under ``<language>/LC_MESSAGES/echoes.po``.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: The cookie that keeps a reader's choice (a preference: nobody's secret).
COOKIE = "echoes-lang"

_speaking: ContextVar[str] = ContextVar("speaking", default="en")


def catalogue(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "echoes.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The messages of ``language`` (English: the messages themselves)."""
    if language == "en":
        return gettext.NullTranslations()
    with catalogue(language).open("rb") as po:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(po, locale=language))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate(accept_language: str | None) -> str:
    """The first language of an ``Accept-Language`` header (by its q values) spoken here."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag.split("-")[0].lower()))
    for quality, _, language in sorted(ranked):
        if quality < 0 and language in LANGUAGES:
            return language
    return "en"


def _(message: str) -> str:
    """``message`` in the language spoken now (`speaking`)."""
    return translations(_speaking.get()).gettext(message)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speak ``language`` (`_`) in this block, in this task or thread only."""
    token = _speaking.set(language)
    try:
        yield
    finally:
        _speaking.reset(token)


class Translated(web.RequestHandler):
    """A handler whose pages speak the reader's language (`language`); its templates'
    ``_`` translates."""

    @cached_property
    def language(self) -> str:
        asked = self.get_query_argument("lang", None)
        if asked in LANGUAGES:
            if asked != self.get_cookie(COOKIE):
                self.set_cookie(COOKIE, asked, path="/", samesite="Lax")
            return asked
        kept = self.get_cookie(COOKIE)
        if kept in LANGUAGES:
            return kept
        return negotiate(self.request.headers.get("Accept-Language"))

    def get_user_locale(self) -> locale.Locale:
        language = self.language
        return locale.GettextLocale(language, translations(language))

    def language_links(self) -> str:
        """Links to this page in each other language (escaped HTML)."""
        return language_links(self.request.path, self.language)


def language_links(path: str, language: str) -> str:
    """Links to the page at ``path`` in each language but ``language``."""
    return " · ".join(
        f'<a hreflang="{code}" lang="{code}" href="{escape(path)}?lang={code}">{name}</a>'
        for code, name in LANGUAGES.items()
        if code != language
    )
