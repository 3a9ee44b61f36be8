"""The CSV of a trainer's people, checked before anything is made: every refusal names
its line; a one-time password is spent once; the archive of a home is whole or absent,
and made once."""

from __future__ import annotations

import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from echoes_hub.services.workshops.credentials import InvalidPeople, parse_people
from echoes_hub.services.workshops.errors import EventFull
from echoes_hub.services.workshops.expiry import archive_home
from tests.unit.test_workshops import store_with_event


def people(text: bytes, seats: int = 10, known: frozenset[str] = frozenset()):
    return [(p.name, p.email, p.line) for p in parse_people(text, seats, known)]


def test_rows_become_people_with_their_lines():
    text = "\ufeffE-mail,Name,Group\na@example.org, Zoë  Ñ ,x\n\n b@example.org ,Bob,\n"
    assert people(text.encode()) == [("Zoë Ñ", "a@example.org", 2), ("Bob", "b@example.org", 4)]


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        (b"", 1, "the file is empty"),
        (b"name,email\n", 1, "no people"),
        (b"name\nAda\n", 1, "no column 'email'"),
        (b"email,nom\na@example.org,Ada\n", 1, "no column 'name'"),
        (b"name,email\nAda,a@example.org\n,b@example.org\n", 3, "the name must be 1 to 60"),
        (b"name,email\n" + b"x" * 61 + b",a@example.org\n", 2, "the name must be"),
        (b"name,email\nAda,\n", 2, "'' is not an e-mail address"),
        (b"name,email\nAda,a@example.org\nBob,A@Example.org\n", 3, "on line 2 too"),
        (b"name,email\nA,a@x.org\nB,b@x.org\nC,c@x.org\n", 4, "the 2 free seats"),
        (b"name,email\nA,a@x.org\nB,b@x.org\nZo\xeb,c@x.org\n", 4, "not UTF-8"),
    ],
)
def test_a_bad_file_names_its_line_and_problem(text, line, says):
    with pytest.raises(InvalidPeople) as refused:
        parse_people(text, 2, frozenset())
    assert refused.value.line == line and says in refused.value.message, refused.value.message
    reply = refused.value.as_json()
    assert reply["line"] == line and reply["error"] == "InvalidPeople"


def test_an_e_mail_of_an_earlier_upload_is_refused():
    with pytest.raises(InvalidPeople, match=r"line 2: a@x\.org is on an earlier upload"):
        parse_people(b"name,email\nA,a@x.org\n", 5, frozenset({"A@X.org"}))


def test_a_home_is_archived_once_and_whole(tmp_path):
    home = tmp_path / "home"
    (home / "sub").mkdir(parents=True)
    (home / "sub" / "work.txt").write_text("mine")
    (home / "link").symlink_to("/etc/passwd")
    target = tmp_path / "archives" / "guest-1.zip"
    # A crash mid-way left a part-written zip: it is written again, then renamed.
    target.parent.mkdir()
    target.with_name("guest-1.zip.part").write_bytes(b"half")
    assert archive_home(home, target)
    with zipfile.ZipFile(target) as archive:
        assert archive.read("sub/work.txt") == b"mine" and "link" not in archive.namelist()
    assert not target.with_name("guest-1.zip.part").exists()
    made = target.stat().st_mtime_ns
    (home / "sub" / "work.txt").write_text("changed after the end")
    assert archive_home(home, target) and target.stat().st_mtime_ns == made
    assert not archive_home(tmp_path / "nobody", tmp_path / "archives" / "guest-2.zip")


def test_a_one_time_password_is_spent_once_even_by_logins_at_once(tmp_path):
    store, event = store_with_event(tmp_path, seats=3)
    person = {"account": "guest-1", "display_name": "Ada", "email": "a@x.org", "password": b"h"}
    store.add_people(event.id, [person], time.time())
    with ThreadPoolExecutor(8) as pool:
        logins = list(pool.map(lambda _: store.use_password("guest-1", time.time()), range(16)))
    assert [e.id for e in logins if e is not None] == [event.id]
    assert store.password_hash("guest-1") is None  # spent: no hash to check any more


def test_people_beyond_the_seats_are_refused_all_together(tmp_path):
    store, event = store_with_event(tmp_path, seats=2)
    people = [
        {"account": f"guest-{i}", "display_name": "P", "email": f"{i}@x.org", "password": b"h"}
        for i in range(3)
    ]
    with pytest.raises(EventFull):
        store.add_people(event.id, people, time.time())
    assert store.get(event.id).taken == 0 and store.emails_of(event.id) == frozenset()
