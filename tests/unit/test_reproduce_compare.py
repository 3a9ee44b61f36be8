"""Output comparison: sanitizers and tolerances forgive what legitimately differs, and
never hide a real difference."""

from __future__ import annotations

import base64
import io

from PIL import Image

from echoes.runs.compare import Tolerance, compare_cell, compare_image, compare_text

TOL = Tolerance()
TABLE = "<table><tr><th>painter</th><th>score</th></tr><tr><td>Raphael</td><td>{}</td></tr></table>"


def cell(*outputs: dict, tags: tuple[str, ...] = ()) -> dict:
    return {
        "cell_type": "code",
        "source": "x",
        "metadata": {"tags": list(tags)},
        "outputs": list(outputs),
    }


def html(text: str) -> dict:
    return {"output_type": "display_data", "data": {"text/html": text}, "metadata": {}}


def test_a_changed_number_in_an_html_table_is_reported() -> None:
    result = compare_cell(
        0, cell(html(TABLE.format("16.25"))), cell(html(TABLE.format("16.26"))), TOL
    )
    assert result.status == "differs"
    [difference] = result.differences
    assert difference.kind == "text/html"
    assert "1 number(s) beyond" in difference.what and "16.25 became 16.26" in difference.what


def test_numbers_within_tolerance_in_an_html_table_are_forgiven_and_said_so() -> None:
    a, b = TABLE.format("0.30000000000000004"), TABLE.format("0.3")
    result = compare_cell(0, cell(html(a)), cell(html(b)), TOL)
    assert result.status == "within-tolerance"
    assert compare_cell(0, cell(html(a)), cell(html(b)), Tolerance(rtol=0, atol=0)).status == (
        "differs"
    )


def test_sanitizers_do_not_hide_text_around_what_they_forgive() -> None:
    status, what, _ = compare_text(
        "saved at 2024-05-01T10:00:00 by alice", "saved at 2025-01-02T11:11:11 by alice", TOL
    )
    assert (status, what) == ("sanitized", "equal after sanitizing timestamp")
    status, _, diff = compare_text(
        "saved at 2024-05-01T10:00:00 by alice", "saved at 2024-05-01T10:00:00 by bob", TOL
    )
    assert status == "differs" and "-saved at <TIMESTAMP> by alice" in diff
    # random element ids in rich HTML reprs (xarray) are forgiven, their content is not
    a = "<input id='section-72b12124-91d8-463a-bb7f-7b8c47cf5dea'>time: 240"
    b = "<input id='section-95174ab5-30ef-4aee-8639-ab04dc0568f2'>time: 240"
    assert compare_text(a, b, TOL)[:2] == ("sanitized", "equal after sanitizing uuid")
    assert compare_text(a, b.replace("240", "241"), TOL)[0] == "differs"
    # a year alone is a number, not a timestamp: 1708 -> 1709 is a difference
    assert compare_text("published 1708", "published 1709", TOL)[0] == "differs"
    # a temp path is forgiven, a data path is not
    assert compare_text("/tmp/abc/x.csv", "/tmp/def/x.csv", TOL)[0] == "sanitized"
    assert compare_text("/srv/heritage/a.csv", "/srv/heritage/b.csv", TOL)[0] == "differs"


def test_json_numbers_with_tolerance_strings_exactly() -> None:
    def out(value: dict) -> dict:
        return {
            "output_type": "execute_result",
            "data": {"application/json": value},
            "metadata": {},
            "execution_count": 1,
        }

    same = compare_cell(
        0,
        cell(out({"mean": 16.25, "best": "Raphael"})),
        cell(out({"mean": 16.25 + 1e-12, "best": "Raphael"})),
        TOL,
    )
    assert same.status == "within-tolerance"
    changed = compare_cell(
        0,
        cell(out({"mean": 16.25, "best": "Raphael"})),
        cell(out({"mean": 16.0, "best": "Da Vinci"})),
        TOL,
    )
    assert changed.status == "differs"
    assert (
        changed.differences[0].what
    ) == "$.best: 'Raphael' became 'Da Vinci'; $.mean: 16.25 became 16.0"


def png(changes: dict[tuple[int, int], tuple[int, int, int]]) -> str:
    image = Image.new("RGB", (100, 100), "white")
    for xy, colour in changes.items():
        image.putpixel(xy, colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_images_compare_pixels_with_a_tolerance() -> None:
    base = png({})
    assert compare_image(base, base, TOL)[0] == "same"
    assert compare_image(base, png({(1, 1): (250, 250, 250)}), TOL) == (
        "within-tolerance",
        "0.000% of pixels differ by more than 8 (max 5)",
    )
    assert compare_image(base, png({(1, 1): (0, 0, 0)}), TOL) == (
        "within-tolerance",
        "0.010% of pixels differ by more than 8 (max 255)",
    )
    many = {(x, y): (0, 0, 0) for x in range(10) for y in range(10)}
    status, what = compare_image(base, png(many), TOL)
    assert (status, what) == ("differs", "1.000% of pixels differ by more than 8 (max 255)")


def test_changed_kinds_of_output_and_skip_tags() -> None:
    text = {"output_type": "stream", "name": "stdout", "text": "1\n"}
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'x'", "traceback": []}
    result = compare_cell(0, cell(text), cell(error), TOL)
    assert result.status == "differs"
    assert "['stream:stdout'], now ['error']" in result.differences[0].what
    skipped = compare_cell(0, cell(text, tags=("nbval-ignore-output",)), cell(error), TOL)
    assert skipped.status == "skipped"
    # stream chunks are merged as a terminal shows them
    parts = [dict(text, text="1"), dict(text, text="\n")]
    assert compare_cell(0, cell(*parts), cell(text), TOL).status == "same"


def test_timestamps_are_forgiven_only_near_the_run_that_printed_them() -> None:
    from datetime import datetime

    clocks = (datetime(2026, 11, 1, 10, 0), datetime(2027, 3, 5, 9, 0))  # run, review
    printed = ("run at 2026-11-01T10:00:03.5", "run at 2027-03-05T09:00:02.1")
    assert compare_text(*printed, TOL, clocks)[0] == "sanitized"
    # a date-time in the data (1920) is compared as it is, whatever the clock
    data = ("first 1920-01-01T00:00:00.000000000", "first 1920-02-01T00:00:00.000000000")
    assert compare_text(*data, TOL, clocks)[0] == "differs"
    assert compare_text(data[0], data[0].replace("first", "first"), TOL, clocks)[0] == "same"
