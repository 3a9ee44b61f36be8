"""Answering an annotation from a page: the form behind "Agree", "Contest" and "Reply".

A page that shows annotations (a digital twin's page, hub/services/twins/pages.py) has no
script and holds nobody's credentials, so its buttons are plain links to
``respond?to=<annotation IRI>&verdict=agreed|contested`` here, on the annotation service's
own host. The reader logs in to the hub if need be, sees what they answer and chooses
who may see their answer; the form posts back with the service's XSRF token, so no other
page can answer in their name.

The answer is an ordinary annotation in the default container: motivation ``assessing``
with a body of purpose ``assessing`` whose value is the verdict (and the words, if any,
as a second body), or ``replying`` with the words alone; its target is the annotation
answered. The twins service reads verdicts and replies in exactly that shape
(hub/services/twins/interpretations.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import ValidationError
from .model import ANNO_CONTEXT

#: What a reader may answer, as the form's choices: verdict -> its label.
VERDICTS = {"agreed": "I agree", "contested": "I contest it", "": "Reply only"}
#: What the person an agent acts for answers to the agent's proposal instead.
DECISIONS = {
    "accepted": "I accept my agent's proposal",
    "rejected": "I reject it",
    "": "Reply only",
}
#: A link's verdict as the person an agent acts for means it.
AS_DECISION = {"agreed": "accepted", "contested": "rejected", "": ""}
#: Longest answer in words (characters): a reply, not an essay.
MAX_TEXT = 4000


def answered(to: str, base_url: str) -> tuple[str, str]:
    """The container and id of the annotation IRI ``to``, one of this service's."""
    prefix = f"{base_url}containers/"
    container, _, uid = to.removeprefix(prefix).partition("/")
    if not to.startswith(prefix) or not container or not uid or "/" in uid:
        raise ValidationError(f"{to!r} is not an annotation of this service", "to")
    return container, uid


def choices(answered_doc: dict[str, Any], person: str) -> dict[str, str]:
    """What ``person`` (a user IRI) may answer to ``answered_doc``: accept or reject it
    when it is the proposal of an agent acting for them, else agree or contest."""
    creator = answered_doc.get("creator")
    if isinstance(creator, dict) and creator.get("type") == "Software":
        behalf = creator.get("actedOnBehalfOf") or {}
        if isinstance(behalf, dict) and behalf.get("id") == person:
            return DECISIONS
    return VERDICTS


def chosen(verdict: str, offered: dict[str, str]) -> str:
    """The choice a link's ``verdict`` preselects among ``offered``."""
    if verdict in offered:
        return verdict
    return AS_DECISION.get(verdict, "") if offered is DECISIONS else ""


def answer(
    to: str, verdict: str, text: str, visibility: str, offered: dict[str, str]
) -> dict[str, Any]:
    """The annotation that answers ``to``: an assessment with ``verdict`` (one of
    ``offered``), or a reply."""
    if verdict not in offered:
        names = ", ".join(v for v in offered if v)
        raise ValidationError(f"verdict is {names} or empty (a reply)", "verdict")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(f"the words are longer than {MAX_TEXT} characters", "text")
    if not verdict and not text:
        raise ValidationError("a reply needs words", "text")
    body = [{"type": "TextualBody", "purpose": "assessing", "value": verdict}] if verdict else []
    if text:
        body.append(
            {"type": "TextualBody", "purpose": "replying", "value": text, "format": "text/plain"}
        )
    return {
        "@context": ANNO_CONTEXT,
        "type": "Annotation",
        "motivation": "assessing" if verdict else "replying",
        "target": to,
        "body": body,
        "visibility": visibility,
    }


def words(doc: dict[str, Any]) -> str:
    """What an annotation says in words: its textual bodies' values."""
    bodies = doc.get("body")
    bodies = bodies if isinstance(bodies, list) else [bodies]
    found = [b.get("value") for b in bodies if isinstance(b, dict)]
    if isinstance(doc.get("bodyValue"), str):
        found.append(doc["bodyValue"])
    return " ".join(v.strip() for v in found if isinstance(v, str) and v.strip())


def same_site(address: str, base_url: str) -> bool:
    """Whether ``address`` is a page of this hub's domain, where a "back" link may lead:
    this service's host, or another host of its domain (each managed service has its own,
    <name>--service.<domain>), on the same port, over http or https."""
    there, here = urlsplit(address), urlsplit(base_url)
    if there.scheme not in ("http", "https") or there.port != here.port or not there.hostname:
        return False
    host, own = there.hostname.lower(), (here.hostname or "").lower()
    domain = own.partition(".")[2]
    return host == own or (bool(domain) and (host == domain or host.endswith("." + domain)))
