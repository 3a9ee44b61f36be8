"""The workshops service's core without a hub: its settings are documented, an event's
fields are checked, seats never pass the limit even when taken at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from echoes_hub.services.workshops import WorkshopsService
from echoes_hub.services.workshops.errors import EventFull, InvalidEvent, JoinRefused, WrongCode
from echoes_hub.services.workshops.homes import FolderHomes
from echoes_hub.services.workshops.materials import source_folder
from echoes_hub.services.workshops.model import CODE_ALPHABET, new_code, parse_event
from echoes_hub.services.workshops.store import Store

README = Path(__file__).parents[2] / "README.md"


def test_readme_lists_every_workshops_setting():
    readme = README.read_text()
    for name in WorkshopsService.class_traits(config=True):
        assert f"`WorkshopsService.{name}`" in readme, f"README lacks WorkshopsService.{name}"


def test_codes_are_long_enough_not_to_guess():
    codes = {new_code(WorkshopsService().code_length) for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 12 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert len(CODE_ALPHABET) == 32  # 5 bits a letter: 60 bits


def store_with_event(tmp_path, seats: int, start: float = -60, end: float = 3600):
    store = Store(f"sqlite:///{tmp_path}/w.sqlite")
    store.create_schema()
    now = time.time()
    fields = parse_event(
        {
            "title": "T",
            "seats": seats,
            "start": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + start)),
            "end": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + end)),
        },
        500,
    )
    return store, store.create("trainer", fields, 12)


def test_seats_taken_at_once_never_pass_the_limit(tmp_path):
    store, event = store_with_event(tmp_path, seats=5)

    def join(i: int) -> str:
        try:
            store.take_seat(event.id, event.code, f"person {i}", f"guest-{i}", time.time())
        except EventFull:
            return "full"
        return "seated"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(join, range(20)))
    assert results.count("seated") == 5 and results.count("full") == 15
    assert store.get(event.id).taken == 5


def test_a_code_is_typed_in_any_case_with_spaces_or_dashes(tmp_path):
    store, event = store_with_event(tmp_path, seats=2)
    typed = "-".join([event.code[:4], event.code[4:8], event.code[8:]]).lower()
    store.take_seat(event.id, f" {typed} ", "Ada", "guest-a", time.time())
    with pytest.raises(WrongCode):
        store.take_seat(event.id, event.code[:-1], "Bob", "guest-b", time.time())


@pytest.mark.parametrize(("start", "end", "says"), [(60, 120, "opens"), (-120, -60, "ended")])
def test_a_code_works_only_within_the_events_hours(tmp_path, start, end, says):
    store, event = store_with_event(tmp_path, seats=2, start=start, end=end)
    with pytest.raises(JoinRefused, match=says):
        store.take_seat(event.id, event.code, "Ada", "guest-a", time.time())


def test_ending_an_event_early_closes_its_code_and_makes_it_due_once(tmp_path):
    store, event = store_with_event(tmp_path, seats=2)
    now = time.time()
    ended = store.end_now(event.id, now)
    assert ended.end == now and ended.state(now + 1) == "ended"
    assert [e.id for e in store.due_endings(now + 1)] == [event.id]
    with pytest.raises(JoinRefused, match="ended"):
        store.take_seat(event.id, event.code, "Ada", "guest-a", now + 1)
    assert store.end_now(event.id, now + 60).end == now  # ended already: its end stays


def test_materials_merge_by_nbgitpullers_rules(tmp_path):
    from echoes.materials import merge

    home = tmp_path
    first = {"a.txt": b"a1", "b.txt": b"b1", "c.txt": b"c1", "sub/d.txt": b"d1"}
    assert merge(home, "ev", "course", first) == sorted(first)
    course = home / "course"
    (course / "a.txt").write_bytes(b"mine")  # the attendee changes a
    (course / "b.txt").unlink()  # deletes b
    (course / "e.txt").write_bytes(b"my own e")  # makes e, which the materials add later
    second = {**first, "a.txt": b"a2", "b.txt": b"b2", "c.txt": b"c2", "e.txt": b"e2"}
    second["../escape.txt"] = b"x"
    written = merge(home, "ev", "course", second)
    assert written == ["b.txt", "c.txt"]
    assert (course / "a.txt").read_bytes() == b"mine"  # changed: kept
    assert (course / "b.txt").read_bytes() == b"b2"  # deleted: restored
    assert (course / "c.txt").read_bytes() == b"c2"  # untouched: updated
    assert (course / "e.txt").read_bytes() == b"my own e"  # theirs: never replaced
    assert not (home / "escape.txt").exists()


def test_a_materials_folder_must_stay_in_the_trainers_home(tmp_path):
    """In a volume, a link the container reads as /home/jovyan/... would point elsewhere on
    the host: a folder reached through a link out of the home is refused."""
    homes = FolderHomes(str(tmp_path / "homes"))
    home = tmp_path / "homes" / "tina"
    (home / "course").mkdir(parents=True)
    (tmp_path / "elsewhere" / "secret").mkdir(parents=True)
    (home / "out").symlink_to(tmp_path / "elsewhere")
    assert source_folder(homes, "tina", "course") == home / "course"
    for folder in ("out/secret", "nowhere"):
        with pytest.raises(InvalidEvent) as refused:
            source_folder(homes, "tina", folder)
        assert refused.value.field == "materials"
    with pytest.raises(InvalidEvent):
        source_folder(homes, "nobody", "course")  # no home yet
