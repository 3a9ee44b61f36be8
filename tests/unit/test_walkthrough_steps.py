"""The walkthrough tests' reader of documented steps (tests/e2e/walkthrough.py): what it
takes from a step, and that a document and its walkthrough must agree on the steps."""

from __future__ import annotations

import pytest

from tests.e2e import walkthrough


def test_each_documented_walkthrough_has_its_steps_and_what_they_name():
    author = walkthrough.steps("README.md", "An author publishes an app")
    assert author[1].menu("Publish as App…") == ["File", "Publish as App…"]
    assert author[1].names == ["App name", "Title", "Who may open it", "Publish"]
    assert author[5].command("echoes publish").startswith("echoes publish kilns.ipynb")
    scientist = walkthrough.steps("README.md", "A scientist's first analysis")
    assert "images.coins" in scientist[1].code
    reviewer = walkthrough.steps(
        "docs/reproduce.md", "Reviewers: re-executing a published notebook (admin workflow)"
    )
    assert [s.number for s in reviewer] == [1, 2, 3, 4, 5]
    assert reviewer[3].menu("Terminal") == ["File", "New", "Terminal"]
    assert reviewer[3].command("echoes reproduce").endswith("-o ~/reviews/analysis")


def test_a_step_added_to_a_document_fails_its_walkthrough_until_it_has_an_action():
    found = walkthrough.steps("README.md", "A scientist's first analysis")
    with pytest.raises(AssertionError, match="give the walkthrough its action"):
        walkthrough.walk(found, [print] * (len(found) - 1))


def test_a_step_that_names_no_such_menu_says_so():
    step = walkthrough.Step(1, "Open **File ▸ New ▸ Terminal** and type `ls`; then *Save*.")
    assert step.menus == [["File", "New", "Terminal"]]
    assert step.names == ["Save"] and step.code == ["ls"]
    with pytest.raises(AssertionError, match="no menu path"):
        step.menu("Console")
