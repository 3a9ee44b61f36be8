"""What `echoes publish` and JupyterLab's "Publish as App…" send: only what the author gave,
so that re-publishing keeps the title, description and share of the previous version."""

from __future__ import annotations

import json

from echoes.publish import parse_args, publication
from echoes.server import publishing

NOTEBOOK = {"cells": [], "metadata": {"title": "Kilns"}, "nbformat": 4, "nbformat_minor": 5}
ADDRESS = ("--hub", "http://hub.example", "--token", "t" * 32)


def test_a_republication_without_options_sends_no_title_description_or_share(tmp_path):
    path = tmp_path / "kilns.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    body = publication(parse_args([str(path), "--name", "kilns", *ADDRESS]))
    assert set(body) == {"notebook", "files"}


def test_what_the_author_gives_is_sent(tmp_path):
    path = tmp_path / "kilns.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    given = ("--title", "Kiln map", "--description", "", "--share", "public")
    body = publication(parse_args([str(path), "--name", "kilns", *given, *ADDRESS]))
    assert (body["title"], body["description"], body["share"]) == ("Kiln map", "", "public")


def test_jupyterlabs_publish_sends_only_the_fields_the_dialog_has(tmp_path):
    (tmp_path / "kilns.ipynb").write_text(json.dumps(NOTEBOOK))
    fields = publishing.check({"path": "kilns.ipynb", "name": "kilns", "share": "", "title": ""})
    sent = publishing.publication(str(tmp_path), fields)
    assert set(sent) == {"notebook", "files", "source"}
    assert sent["source"] == "kilns.ipynb"  # for the app page's "Open in JupyterLab"
    fields = publishing.check({"path": "kilns.ipynb", "name": "kilns", "description": ""})
    assert publishing.publication(str(tmp_path), fields)["description"] == ""
