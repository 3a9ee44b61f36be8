"""The answer form's rules (hub/services/annotations/respond.py) and the twin page's links
to it (pages.answer_links): what an answer is, who may accept, where "back" may lead."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from echoes_hub.services.annotations import respond
from echoes_hub.services.annotations.errors import ValidationError
from echoes_hub.services.twins import interpretations as np
from echoes_hub.services.twins.pages import answer_links

BASE = "http://annotations--service.localhost:8000/services/annotations/"
ANSWERED = f"{BASE}containers/default/abc"
ADA = "urn:echoes:user:ada"


def test_the_answered_annotation_is_one_of_this_service():
    assert respond.answered(ANSWERED, BASE) == ("default", "abc")
    for wrong in (
        "",
        "http://elsewhere/containers/default/abc",
        f"{BASE}containers/default/",
        f"{BASE}containers/default/a/b",
        f"{BASE}search",
    ):
        with pytest.raises(ValidationError) as refused:
            respond.answered(wrong, BASE)
        assert refused.value.field == "to"


def test_an_agreement_is_read_by_the_twins_service_as_one_with_its_words_as_a_reply():
    made = respond.answer(ANSWERED, "agreed", " Same owl ", "public", respond.VERDICTS)
    assert made["motivation"] == "assessing" and made["target"] == ANSWERED
    assert np.verdict_of(made) == "agreed"
    assert np.text_of(made) == "Same owl"
    assert np.responds_to(made) == [ANSWERED]
    reply = respond.answer(ANSWERED, "", "Compare coin 9", "private", respond.VERDICTS)
    assert reply["motivation"] == "replying" and np.verdict_of(reply) is None
    assert np.text_of(reply) == "Compare coin 9" and reply["visibility"] == "private"


def test_bad_answers_name_the_field():
    cases = [
        (("", "  ", "public", respond.VERDICTS), "text"),  # a reply with no words
        (("accepted", "", "public", respond.VERDICTS), "verdict"),  # not the agent's owner
        (("agreed", "x" * (respond.MAX_TEXT + 1), "public", respond.VERDICTS), "text"),
    ]
    for (verdict, text, visibility, offered), field in cases:
        with pytest.raises(ValidationError) as refused:
            respond.answer(ANSWERED, verdict, text, visibility, offered)
        assert refused.value.field == field


def test_the_person_an_agent_acts_for_accepts_or_rejects_and_others_agree_or_contest():
    by_agent = {"creator": {"type": "Software", "name": "r", "actedOnBehalfOf": {"id": ADA}}}
    assert respond.choices(by_agent, ADA) is respond.DECISIONS
    assert respond.choices(by_agent, "urn:echoes:user:bob") is respond.VERDICTS
    assert respond.choices({"creator": {"id": ADA, "type": "Person"}}, ADA) is respond.VERDICTS
    assert respond.chosen("agreed", respond.DECISIONS) == "accepted"
    assert respond.chosen("contested", respond.DECISIONS) == "rejected"
    assert respond.chosen("agreed", respond.VERDICTS) == "agreed"
    assert respond.chosen("bogus", respond.VERDICTS) == ""


def test_back_leads_only_to_a_page_of_the_hubs_domain():
    twin = "http://twins--service.localhost:8000/services/twins/objects/coins/7"
    assert respond.same_site(twin, BASE)
    assert respond.same_site(f"{BASE}search", BASE)
    for elsewhere in (
        "http://evil.example:8000/",
        "http://localhost.evil.example:8000/",
        "http://twins--service.localhost:9000/",
        "javascript:alert(1)",
        "//twins--service.localhost:8000/",
        "",
    ):
        assert not respond.same_site(elsewhere, BASE), elsewhere


def test_the_twin_pages_links_are_escaped_and_lead_to_the_annotations_own_service():
    tricky = f'{BASE}containers/default/a"b<c>'
    html = answer_links(tricky, 'http://twins--service.localhost:8000/o/"x"')
    assert "<c>" not in html and 'a"b' not in html
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]
    assert len(hrefs) == 3
    for href, verdict in zip(hrefs, ("agreed", "contested", ""), strict=True):
        parts = urlsplit(href)
        assert href.startswith(f"{BASE}respond?")
        query = parse_qs(parts.query, keep_blank_values=True)
        assert query["to"] == [tricky] and query["verdict"] == [verdict]
    assert answer_links("urn:uuid:1234", "http://x/") == ""
