"""Agree, Contest and Reply on a twin page, through the real hub, proxy, annotation
service and twins service: a reader follows a page's link to the annotation service's
form (the hub's OAuth login on the way), answers with the form's XSRF token, and the
object's interpretations show the answer; the person an agent acts for accepts its
proposal the same way. As an attacker: no answer without the form's token or from another
origin, no form for an annotation the reader may not read, no "back" link off the hub,
and bad input is a 400 that records nothing.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.hubclient import HubSession, wait_for
from tests.integration.annotations_support import MEDIA_TYPE, new_person, service_url
from tests.integration.test_twins_interpretations import depicts

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

# Coin 5, and a subject of this module's own: test_twins_interpretations, on the same
# shared hub, counts every interpretation of coin 7 and every believer of its Athena.
PATH = "coins/5"
COIN = f"urn:echoes:object:{PATH}"
ATHENA = "urn:echoes:test:athena-answers"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def made(session: requests.Session, hub, document: dict) -> str:
    reply = session.post(
        f"{service_url(hub)}containers/default/",
        json=document,
        headers={"Content-Type": MEDIA_TYPE},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def interpretation_of(twins: str, annotation: str, path: str = PATH) -> dict | None:
    """The interpretation made as ``annotation`` of the object ``path``, if it is there."""
    reply = requests.get(f"{twins}objects/{path}/interpretations", timeout=30)
    assert reply.status_code == 200, reply.text
    return next((i for i in reply.json()["interpretations"] if i["annotation"] == annotation), None)


def answer_link(twins: str, annotation: str, name: str) -> str:
    """The address of the link ``name`` (Agree, Contest, Reply) of ``annotation`` on the
    object's page, as a visitor's browser reads it."""
    page = requests.get(f"{twins}objects/{PATH}", headers=BROWSER, timeout=30)
    assert page.status_code == 200
    for article in re.findall(r"<article .*?</article>", page.text, re.S):
        for href, text in re.findall(r'<a class="answer" href="([^"]+)"[^>]*>([^<]+)</a>', article):
            if text == name and parse_qs(urlsplit(unescape(href)).query)["to"] == [annotation]:
                return unescape(href)
    raise AssertionError(f"no {name} link for {annotation} on the page")


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields and the checked choice of the respond form."""
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    checked = re.search(r'name="verdict" value="(\w*)" checked', html)
    fields["verdict"] = checked.group(1) if checked else ""
    return {k: unescape(v) for k, v in fields.items()}


def open_form(person: HubSession, link: str) -> requests.Response:
    reply = person.http.get(link, headers=BROWSER, timeout=30)
    assert reply.status_code == 200, reply.text[:500]
    return reply


def respond(person: HubSession, hub, fields: dict[str, str], **headers: str) -> requests.Response:
    return person.http.post(f"{service_url(hub)}respond", data=fields, headers=headers, timeout=30)


def test_a_reader_agrees_from_the_twin_page_through_the_annotation_services_form(hub, admin, twins):
    _, ada = new_person(hub, admin, "tans-a")
    bob, _ = new_person(hub, admin, "tans-b")
    ada_says = made(ada, hub, depicts(COIN, ATHENA, "Athena", visibility="public"))
    wait_for(lambda: interpretation_of(twins, ada_says), 60, "Ada's interpretation on the page")

    link = answer_link(twins, ada_says, "Agree")
    assert link.startswith(f"{service_url(hub)}respond?")
    form = open_form(bob, link)  # through the hub's OAuth login
    assert "The head of Athena" in form.text
    fields = form_fields(form.text)
    assert fields["verdict"] == "agreed" and fields["to"] == ada_says
    assert fields["back"] == f"{twins}objects/{PATH}"
    done = respond(bob, hub, {**fields, "text": "Same owl on the reverse", "visibility": "public"})
    assert done.status_code == 201, done.text[:500]
    answer = done.headers["Location"]
    assert f'href="{answer}"' in done.text and f'href="{twins}objects/{PATH}"' in done.text

    bob_iri = f"urn:echoes:user:{bob.name}"
    wait_for(
        lambda: [a["id"] for a in interpretation_of(twins, ada_says)["agree"]] == [bob_iri],
        60,
        "Bob's agreement on the object's interpretations",
    )
    shown = interpretation_of(twins, ada_says)
    assert [r["text"] for r in shown["replies"]] == ["Same owl on the reverse"]
    assert shown["status"] == "asserted" and shown["adopted"]
    stored = bob.http.get(answer, headers={"Accept": "application/ld+json"}, timeout=30).json()
    assert stored["motivation"] == "assessing" and stored["target"] == ada_says
    assert stored["creator"]["id"] == bob_iri

    # A reply alone, from the Reply link: the words are the answer.
    fields = form_fields(open_form(bob, answer_link(twins, ada_says, "Reply")).text)
    assert fields["verdict"] == ""
    done = respond(bob, hub, {**fields, "text": "Compare coin 9", "visibility": "public"})
    assert done.status_code == 201, done.text[:500]
    wait_for(
        lambda: (
            "Compare coin 9" in [r["text"] for r in interpretation_of(twins, ada_says)["replies"]]
        ),
        60,
        "Bob's reply on the object's interpretations",
    )


def test_the_person_an_agent_acts_for_accepts_its_proposal_from_the_page(hub, admin, twins):
    ada, token = new_person(hub, admin, "tans-c")
    agent = {"type": "Software", "name": "coin-reader", "version": "2.0"}
    proposal = made(token, hub, depicts(COIN, ATHENA, "Athena", creator=agent, visibility="public"))
    wait_for(lambda: interpretation_of(twins, proposal), 60, "the agent's proposal on the page")
    assert interpretation_of(twins, proposal)["status"] == "proposed"
    form = open_form(ada, answer_link(twins, proposal, "Agree"))
    assert "I accept my agent&#39;s proposal" in form.text or "accept my agent" in form.text
    fields = form_fields(form.text)
    assert fields["verdict"] == "accepted"
    done = respond(ada, hub, {**fields, "visibility": "public"})
    assert done.status_code == 201, done.text[:500]
    wait_for(
        lambda: interpretation_of(twins, proposal)["status"] == "accepted",
        60,
        "the proposal accepted by the person its agent acts for",
    )


def test_no_answer_without_the_forms_token_from_elsewhere_or_to_what_one_cannot_read(
    hub, admin, twins
):
    _, ada = new_person(hub, admin, "tans-d")
    eve, eve_token = new_person(hub, admin, "tans-e")
    public = made(ada, hub, depicts(COIN, ATHENA, "Athena", visibility="public"))
    private = made(ada, hub, depicts(COIN, ATHENA, "Ada's secret reading"))
    respond_url = f"{service_url(hub)}respond"

    def eves_answers() -> int:
        found = eve_token.get(
            f"{service_url(hub)}search",
            params={"creator": f"urn:echoes:user:{eve.name}"},
            timeout=30,
        )
        return len(found.json()["items"])

    # Anonymous: sent to the hub's login, shown nothing.
    away = requests.get(
        respond_url, params={"to": public}, headers=BROWSER, timeout=30, allow_redirects=False
    )
    assert away.status_code == 302 and "/hub/" in away.headers["Location"]
    # A private annotation of someone else: 404, as if it did not exist.
    hidden = eve.http.get(respond_url, params={"to": private}, headers=BROWSER, timeout=30)
    assert hidden.status_code == 404 and "secret" not in hidden.text
    assert hidden.json()["field"] == "id"
    # Not an annotation of this service: 400 naming `to`.
    foreign = eve.http.get(
        respond_url,
        params={"to": "http://elsewhere.example/containers/x/1"},
        headers=BROWSER,
        timeout=30,
    )
    assert foreign.status_code == 400 and foreign.json()["field"] == "to"

    form = open_form(eve, f"{respond_url}?to={public}&verdict=contested&back=http://evil.example/")
    fields = form_fields(form.text)
    assert fields["back"] == "" and "evil.example" not in form.text
    # Without the form's XSRF token the cookie counts for nothing.
    no_token = respond(eve, hub, {k: v for k, v in fields.items() if k != "_xsrf"})
    assert no_token.status_code == 403
    # With it, but sent by a page of another origin: refused.
    elsewhere = respond(eve, hub, fields, Origin="http://evil.example")
    assert elsewhere.status_code == 403
    # Bad input: a 400 that says what, with the form again, and nothing recorded.
    empty = respond(eve, hub, {**fields, "verdict": ""})
    assert empty.status_code == 400 and "a reply needs words" in empty.text
    group = respond(eve, hub, {**fields, "visibility": "group:curators"})
    assert group.status_code == 400 and "visibility" in group.text
    verdict = respond(eve, hub, {**fields, "verdict": "accepted"})  # not her agent's
    assert verdict.status_code == 400
    private_to = respond(eve, hub, {**fields, "to": private})
    assert private_to.status_code == 404
    assert eves_answers() == 0
    # The form itself works: one contest recorded.
    assert respond(eve, hub, fields).status_code == 201
    assert eves_answers() == 1
