"""`echoes crate`: a run as an RO-Crate, read back by `rocrate`, checked by roc-validator.

roc-validator resolves the crate's JSON-LD context from w3id.org, which this machine
cannot reach; the `offline_context` fixture answers that one URL with the RO-Crate 1.3
context document that ships inside the `rocrate` wheel (the same text), and refuses
every other request so that nothing is fetched behind our back.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import rocrate
from requests.adapters import HTTPAdapter
from rocrate.rocrate import ROCrate
from rocrate_validator import services
from urllib3 import HTTPResponse

from echoes.runs.execute import run
from echoes.runs.record import agent
from echoes.runs.reproduce import reproduce
from tests.notebooks import one_cell_notebook

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
ECHOES = str(Path(sys.executable).parent / "echoes")
CONTEXT_URL = "https://w3id.org/ro/crate/1.3/context"
CONTEXT = (Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld").read_bytes()

#: roc-validator's RECOMMENDED checks (ro-crate-1.3) that a crate made on the hub cannot
#: meet, with the entities they may name: check -> (entity id pattern, why).
NOT_OURS_TO_KNOW = {
    "ro-crate-1.2_43.0": (
        r"#param-",
        "a Schema.org type: FormalParameter is the Bioschemas type Workflow Run Crate asks for",
    ),
    "ro-crate-1.2_91.0": (r"#person-", "an ORCID as a person's @id: the hub knows user names"),
    "ro-crate-1.2_93.0": (r"\./$", "a contactPoint of the publisher: the hub knows no address"),
}


def ours_to_meet(issue: Any) -> bool:
    pattern = NOT_OURS_TO_KNOW.get(issue.check.identifier, (None,))[0]
    return pattern is None or not re.search(pattern, issue.violatingEntity or "")


@pytest.fixture
def offline_context(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    asked: list[str] = []
    # roc-validator keeps an HTTP cache under XDG_CACHE_HOME: a fresh one per test.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def answer(url: str) -> bytes:
        asked.append(url)
        if url != CONTEXT_URL:
            raise requests.ConnectionError(f"no network in tests: {url}")
        return CONTEXT

    class Urllib(urllib.request.BaseHandler):
        handler_order = 100  # before the real HTTP handlers

        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            body = answer(req.full_url)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\n"
            raw = head + b"Content-Length: %d\r\n\r\n" % len(body) + body

            class Socket:
                def makefile(self, *args: object, **kw: object) -> io.BytesIO:
                    return io.BytesIO(raw)

            response = http.client.HTTPResponse(Socket(), method="GET", url=req.full_url)
            response.begin()
            response.url, response.msg = req.full_url, response.reason
            return response

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kw: object):
        body = answer(request.url)
        raw = HTTPResponse(
            body=io.BytesIO(body),
            status=200,
            preload_content=False,
            headers={"Content-Type": "application/ld+json"},
        )
        return adapter.build_response(request, raw)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    monkeypatch.setattr(urllib.request, "_opener", urllib.request.build_opener(Urllib))
    yield asked


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A run of the painters notebook and its reproduction report (shared: read only)."""
    tmp_path = tmp_path_factory.mktemp("reviewed")
    shutil.copytree(FIXTURES, tmp_path / "nb")
    recorded = run(tmp_path / "nb" / "painters.ipynb", parameters={"weight": 2}, progress=False)
    reproduce(recorded.record_path, tmp_path / "review", progress=False)
    return recorded.record_path, tmp_path / "review" / "report.json"


def test_crate_follows_the_workflow_run_crate_profile(
    reviewed: tuple[Path, Path], tmp_path: Path, offline_context: list[str]
) -> None:
    record, report = reviewed
    done = subprocess.run(
        [ECHOES, "crate", str(record), "-o", str(tmp_path / "crate"), "--report", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    crate = ROCrate(tmp_path / "crate")

    root = crate.root_dataset
    assert {p.id for p in root["conformsTo"]} >= {
        "https://w3id.org/ro/wfrun/process/0.5",
        "https://w3id.org/ro/wfrun/workflow/0.5",
    }
    workflow = crate.mainEntity
    assert workflow.type == ["File", "SoftwareSourceCode", "ComputationalWorkflow"]
    assert workflow["programmingLanguage"]["name"] == "Python"
    [action] = [e for e in crate.get_entities() if e.type == "CreateAction"]
    assert action["instrument"] is workflow
    assert action["actionStatus"].id == "http://schema.org/CompletedActionStatus"
    # who ran it, and who publishes the crate (here the same person)
    assert (action["agent"].type, action["agent"]["name"]) == ("Person", agent()["name"])
    assert root["publisher"] is action["agent"] and root["mentions"] is action

    # the parameter value, tied to its formal parameter of the workflow
    [weight] = [o for o in action["object"] if o.type == "PropertyValue"]
    assert (weight["name"], weight["value"]) == ("weight", 2)
    assert weight["exampleOfWork"] in workflow["input"]
    # the data file, with checksum and licence, tied to its formal parameter too
    [data] = [o for o in action["object"] if o.type == "File"]
    assert data.id == "data/data/painters.csv" and len(data["sha256"]) == 64
    assert data["license"]["name"] == "public domain (published 1708)"
    assert data["exampleOfWork"] in workflow["input"]
    # outputs: the executed notebook and the run record; the reproduction report
    assert {r.id for r in action["result"]} == {"painters.out.ipynb", "painters.out.run.json"}
    assert "reproduction report (reproduces)" in {e.get("name") for e in crate.get_entities()}
    for part in (
        "painters.out.ipynb",
        "painters.out.run.json",
        "data/data/painters.csv",
        "reproduction/report.html",
        "notebook-painters.ipynb",
    ):
        assert (tmp_path / "crate" / part).is_file()

    settings = services.ValidationSettings(
        rocrate_uri=str(tmp_path / "crate"),
        profile_identifier="ro-crate-1.3",
        requirement_severity="RECOMMENDED",
    )
    issues = [
        f"{i.check.identifier} {i.violatingEntity}: {i.message}"
        for i in services.validate(settings).get_issues()
        if ours_to_meet(i)
    ]
    assert issues == []
    assert CONTEXT_URL in offline_context  # it did read the context, from the wheel


def test_crate_as_a_zip_and_bad_input(reviewed: tuple[Path, Path], tmp_path: Path) -> None:
    record, _ = reviewed
    from echoes.runs.crate import make_crate

    path = make_crate(record, tmp_path / "run.zip", publisher="Museo Archeologico")
    assert "ro-crate-metadata.json" in zipfile.ZipFile(path).namelist()
    publisher = ROCrate(path).root_dataset["publisher"]
    assert (publisher.type, publisher["name"]) == ("Organization", "Museo Archeologico")
    done = subprocess.run(
        [ECHOES, "crate", str(tmp_path / "nothing.run.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "nothing.run.json" in done.stderr


def test_inputs_with_the_same_file_name_from_different_catalogs_are_all_kept(
    tmp_path: Path,
) -> None:
    """Two catalogs both called catalog.yaml, read by one run: each one goes into the crate
    under its path in the notebook's folder, and is listed once in the run's `object`."""
    from echoes.runs.crate import make_crate

    work = tmp_path / "nb"
    for theme in ("coins", "pottery"):
        (work / "heritage" / theme).mkdir(parents=True)
        (work / "heritage" / theme / "catalog.yaml").write_text(f"metadata: {{theme: {theme}}}\n")
    code = "for theme in ('coins', 'pottery'):\n    open(f'heritage/{theme}/catalog.yaml').read()"
    (work / "both.ipynb").write_text(json.dumps(one_cell_notebook(code)))
    recorded = run(work / "both.ipynb", progress=False)
    assert len(recorded.record["data"]) == 2

    crate = ROCrate(make_crate(recorded.record_path, tmp_path / "crate"))
    [action] = [e for e in crate.get_entities() if e.type == "CreateAction"]
    files = [o.id for o in action["object"] if o.type == "File"]
    assert sorted(files) == [
        "data/heritage/coins/catalog.yaml",
        "data/heritage/pottery/catalog.yaml",
    ]
    for theme in ("coins", "pottery"):
        copied = tmp_path / "crate" / "data" / "heritage" / theme / "catalog.yaml"
        assert copied.read_text() == f"metadata: {{theme: {theme}}}\n"
    # one formal parameter of the workflow per input file
    inputs = [p.id for p in crate.mainEntity["input"] if p["additionalType"] == "File"]
    assert len(set(inputs)) == 2
