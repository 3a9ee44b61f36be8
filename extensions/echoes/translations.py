"""The JupyterLab extension's messages in French and German (the domain ``echoes_vre_lab``).

The translators' files are gettext catalogues, ``locale/<ll_CC>/LC_MESSAGES/
echoes_vre_lab.po`` in this package; beside each, the JSON that JupyterLab reads (made from
it by ``python -m echoes.translations``, which `make translations` runs). jupyterlab_server
finds them through this package's ``jupyterlab.locale`` entry point, once the language's
JupyterLab language pack is installed (the user image has French and German); the
extension loads them with ``translator.load("echoes_vre_lab")``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

DOMAIN = "echoes_vre_lab"
LOCALE = Path(__file__).resolve().parent / "locale"


def catalogues() -> list[Path]:
    """Each language's ``.po`` file."""
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def as_json(po: Path) -> dict[str, Any]:
    """The catalogue ``po`` as JupyterLab's translator loads it: a header (domain,
    language as JupyterLab names it, plural forms) and each message's translations, one
    per plural form."""
    language = po.parent.parent.name  # fr_FR
    with po.open("rb") as file:
        catalogue = read_po(file, locale=language)
    found: dict[str, Any] = {
        "": {
            "domain": DOMAIN,
            "language": language.replace("_", "-"),
            "plural_forms": catalogue.plural_forms,
        }
    }
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):  # singular and plural
            found[message.id[0]] = list(message.string)
        else:
            found[message.id] = [message.string]
    return found


def write() -> list[Path]:
    """Write the JSON beside every catalogue; the files written."""
    written = []
    for po in catalogues():
        target = po.with_suffix(".json")
        text = json.dumps(as_json(po), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write():
        print(path, file=sys.stderr)
