"""Compare two executions of a notebook cell by cell, output by output, per MIME type.

How, and why not the existing tools (see docs/reproduce.md for the long version):

* nbmake only checks that a notebook runs; nbval compares text outputs after
  user-written regex sanitizers and skips images; pytest-notebook and nbdime diff
  the notebook JSON (nbdime is MIME-aware but has no tolerance at all).
* We compare the *meaning* of each output: text exactly after a small set of named
  sanitizers for what legitimately differs between runs; numbers found in text, in
  HTML and in `application/json` with a relative/absolute tolerance, the rest of the
  text exactly (so a changed number in a table is always reported); images decoded
  and compared pixel by pixel with a tolerance. Every difference that is forgiven is
  reported with its reason (status `sanitized` or `within-tolerance`), never hidden.

Cells tagged `echoes-skip-compare` (or nbval's `nbval-ignore-output`) are not compared.
"""

from __future__ import annotations

import base64
import difflib
import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, ImageChops

SKIP_TAGS = {"echoes-skip-compare", "nbval-ignore-output"}

#: Worst first: a cell's status is the worst of its outputs'.
STATUSES = ("same", "sanitized", "within-tolerance", "skipped", "differs")


def _progress(text: str) -> str:
    # A terminal shows only what follows the last carriage return on each line.
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    return "\n".join("<PROGRESS>" if _PROGRESS_BAR.search(line) else line for line in lines)


_PROGRESS_BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
#: How far from a run's start a printed date-time may be and still be its clock.
CLOCK_WINDOW = timedelta(days=1)


def _utc(text: str) -> datetime | None:
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def _timestamps(text: str, clock: datetime | None) -> str:
    def replace(match: re.Match[str]) -> str:
        value = _utc(match.group(0))
        near = clock is None or (value is not None and abs(value - clock) <= CLOCK_WINDOW)
        return "<TIMESTAMP>" if near else match.group(0)

    return _TIMESTAMP.sub(replace, text)


#: name -> (what it forgives, how). Applied in this order, to both sides alike.
SANITIZERS: dict[str, tuple[str, Callable[[str, datetime | None], str]]] = {
    "ansi": (
        "terminal colour codes",
        lambda t, _: re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", t),
    ),
    "progress": (
        "progress bars (tqdm style: 40%|####  | 4/10 [...]) and text overwritten by \\r",
        lambda t, _: _progress(t),
    ),
    "timestamp": (
        "ISO 8601 date-times such as 2024-05-01T12:30:05.123+00:00 within a day of the run "
        "that printed them (its papermill start time): the clock, not dates in the data",
        _timestamps,
    ),
    "memory-address": (
        "memory addresses such as 0x7f3a2c1d4e50 (object reprs)",
        lambda t, _: re.sub(r"0x[0-9a-fA-F]{6,16}", "<ADDRESS>", t),
    ),
    "uuid": (
        "random identifiers such as 72b12124-91d8-463a-bb7f-7b8c47cf5dea (HTML element ids "
        "in xarray and other rich reprs)",
        lambda t, _: re.sub(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
            "<UUID>",
            t,
        ),
    ),
    "temp-path": (
        "temporary paths under /tmp, /var/tmp, /var/folders or TMPDIR",
        lambda t, _: re.sub(r"(/private)?/(tmp|var/tmp|var/folders)/[^\s'\"<>,;)]*", "<TMP>", t),
    ),
    "duration": (
        "measured durations: '%time' output and 'took 1.2 s'",
        lambda t, _: re.sub(
            r"((Wall|CPU) times?:|user|sys|total|took)\s*[0-9.]+\s*(ns|µs|us|ms|s|min)\b",
            r"\1 <DURATION>",
            t,
        ),
    ),
}

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|\b(?:nan|NaN|inf|-inf)\b")


@dataclass
class Tolerance:
    """What counts as the same: numbers within rtol/atol, images within pixel limits."""

    rtol: float = 1e-6
    atol: float = 1e-12
    #: a pixel differs when one of its channels differs by more than this (0-255)
    pixel_threshold: int = 8
    #: an image is within tolerance when at most this fraction of its pixels differ
    pixel_fraction: float = 0.001


@dataclass
class Difference:
    output: int
    kind: str
    status: str
    what: str
    diff: str = ""


@dataclass
class CellComparison:
    index: int
    cell_id: str | None
    status: str
    differences: list[Difference] = field(default_factory=list)
    source: str = ""


def sanitize(text: str, clock: datetime | None = None) -> tuple[str, list[str]]:
    """The text with every sanitizer applied, and the names of those that changed it.

    `clock` is when the text was produced; without one every date-time counts as the clock.
    """
    used = []
    for name, (_, apply) in SANITIZERS.items():
        new = apply(text, clock)
        if new != text:
            used.append(name)
        text = new
    return text, used


def _numbers_close(a: str, b: str, tol: Tolerance) -> bool:
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return math.isclose(x, y, rel_tol=tol.rtol, abs_tol=tol.atol)


def _diff(a: str, b: str, limit: int = 80) -> str:
    lines = list(
        difflib.unified_diff(
            a.splitlines(), b.splitlines(), "recorded", "reproduced", lineterm="", n=1
        )
    )
    # HTML and JSON often sit on one long line: then a word diff says more.
    if len(lines) <= 5 and max(len(a), len(b)) > 200:
        words = difflib.ndiff(re.split(r"(?<=>)|\s+", a), re.split(r"(?<=>)|\s+", b))
        lines = [w for w in words if w[:1] in "+-"]
    return "\n".join(lines[:limit] + (["..."] if len(lines) > limit else []))


Clocks = tuple[datetime | None, datetime | None]
NO_CLOCKS: Clocks = (None, None)


def compare_text(
    recorded: str, reproduced: str, tol: Tolerance, clocks: Clocks = NO_CLOCKS
) -> tuple[str, str, str]:
    """(status, what, diff) for two texts; `clocks` are when each side ran."""
    if recorded == reproduced:
        return "same", "", ""
    a, used_a = sanitize(recorded, clocks[0])
    b, used_b = sanitize(reproduced, clocks[1])
    used = sorted(set(used_a) | set(used_b))
    if a == b:
        return "sanitized", "equal after sanitizing " + ", ".join(used), ""
    skeleton_a, skeleton_b = _NUMBER.split(a), _NUMBER.split(b)
    numbers_a, numbers_b = _NUMBER.findall(a), _NUMBER.findall(b)
    if skeleton_a == skeleton_b:
        far = [
            (x, y)
            for x, y in zip(numbers_a, numbers_b, strict=True)
            if not _numbers_close(x, y, tol)
        ]
        if not far:
            return "within-tolerance", f"numbers within rtol={tol.rtol}, atol={tol.atol}", ""
        shown = "; ".join(f"{x} became {y}" for x, y in far[:5])
        what = f"{len(far)} number(s) beyond rtol={tol.rtol}, atol={tol.atol}: {shown}"
        return "differs", what, _diff(a, b)
    return "differs", "text differs", _diff(a, b)


def compare_json(
    recorded: Any, reproduced: Any, tol: Tolerance, where: str = "$", clocks: Clocks = NO_CLOCKS
) -> list[str]:
    """The places where two JSON values differ beyond tolerance."""
    numbers = (int, float)
    if isinstance(recorded, bool) or isinstance(reproduced, bool):
        return [] if recorded == reproduced else [f"{where}: {recorded!r} became {reproduced!r}"]
    if isinstance(recorded, numbers) and isinstance(reproduced, numbers):
        ok = _numbers_close(str(recorded), str(reproduced), tol)
        return [] if ok else [f"{where}: {recorded!r} became {reproduced!r}"]
    if isinstance(recorded, dict) and isinstance(reproduced, dict):
        out = [f"{where}.{k}: missing now" for k in recorded.keys() - reproduced.keys()]
        out += [f"{where}.{k}: new" for k in reproduced.keys() - recorded.keys()]
        for key in sorted(recorded.keys() & reproduced.keys()):
            out += compare_json(recorded[key], reproduced[key], tol, f"{where}.{key}", clocks)
        return out
    if isinstance(recorded, list) and isinstance(reproduced, list):
        if len(recorded) != len(reproduced):
            return [f"{where}: {len(recorded)} items became {len(reproduced)}"]
        out = []
        for i, (x, y) in enumerate(zip(recorded, reproduced, strict=True)):
            out += compare_json(x, y, tol, f"{where}[{i}]", clocks)
        return out
    if isinstance(recorded, str) and isinstance(reproduced, str):
        same = sanitize(recorded, clocks[0])[0] == sanitize(reproduced, clocks[1])[0]
        return [] if same else [f"{where}: {recorded!r} became {reproduced!r}"]
    return [] if recorded == reproduced else [f"{where}: {recorded!r} became {reproduced!r}"]


def compare_image(recorded: str, reproduced: str, tol: Tolerance) -> tuple[str, str]:
    """(status, what) for two base64-encoded raster images."""
    if recorded == reproduced:
        return "same", ""
    a = Image.open(io.BytesIO(base64.b64decode(recorded))).convert("RGBA")
    b = Image.open(io.BytesIO(base64.b64decode(reproduced))).convert("RGBA")
    if a.size != b.size:
        return "differs", f"image size {a.size[0]}x{a.size[1]} became {b.size[0]}x{b.size[1]}"
    difference = ImageChops.difference(a, b)
    worst = max(high for _, high in difference.getextrema())
    # A pixel differs when any channel differs by more than the threshold.
    marks = [
        band.point(lambda v: 255 if v > tol.pixel_threshold else 0) for band in difference.split()
    ]
    mask = marks[0]
    for band in marks[1:]:
        mask = ImageChops.lighter(mask, band)
    fraction = mask.histogram()[255] / (a.size[0] * a.size[1])
    what = f"{fraction:.3%} of pixels differ by more than {tol.pixel_threshold} (max {worst})"
    if worst == 0:
        return "same", "same pixels, different encoding"
    return ("within-tolerance" if fraction <= tol.pixel_fraction else "differs"), what


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _items(outputs: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Outputs as (kind, value) pairs; consecutive stream chunks merged as a terminal shows."""
    items: list[tuple[str, Any]] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            key, text = f"stream:{out.get('name')}", _text(out.get("text", ""))
            if items and items[-1][0] == key:
                items[-1] = (key, items[-1][1] + text)
            else:
                items.append((key, text))
        elif kind in ("execute_result", "display_data"):
            for mime, value in sorted(out.get("data", {}).items()):
                items.append((mime, value))
        elif kind == "error":
            items.append(("error", f"{out.get('ename')}: {out.get('evalue')}"))
    return items


def _compare_item(
    kind: str, a: Any, b: Any, tol: Tolerance, clocks: Clocks
) -> tuple[str, str, str]:
    if kind in ("image/png", "image/jpeg", "image/gif"):
        status, what = compare_image(_text(a), _text(b), tol)
        return status, what, ""
    if kind == "application/vnd.jupyter.widget-view+json":
        # Widget model ids are random per kernel: only the widget's presence is compared.
        return "sanitized", "widget view (model id not compared)", ""
    if kind.endswith("json"):
        places = compare_json(a, b, tol, clocks=clocks)
        if not places:
            return ("same" if a == b else "within-tolerance"), "", ""
        shown = json.dumps(a, indent=1, sort_keys=True), json.dumps(b, indent=1, sort_keys=True)
        return "differs", "; ".join(places[:5]), _diff(*shown)
    return compare_text(_text(a), _text(b), tol, clocks)


def compare_cell(
    index: int,
    recorded: dict[str, Any],
    reproduced: dict[str, Any],
    tol: Tolerance,
    clocks: Clocks = NO_CLOCKS,
) -> CellComparison:
    result = CellComparison(
        index, recorded.get("id"), "same", source=_text(recorded.get("source", ""))
    )
    if recorded.get("cell_type") != "code":
        return result
    tags = set(recorded.get("metadata", {}).get("tags", []))
    if tags & SKIP_TAGS:
        result.status = "skipped"
        return result
    a, b = _items(recorded.get("outputs", [])), _items(reproduced.get("outputs", []))
    if [k for k, _ in a] != [k for k, _ in b]:
        result.status = "differs"
        result.differences.append(
            Difference(
                0,
                "outputs",
                "differs",
                f"outputs were {[k for k, _ in a]}, now {[k for k, _ in b]}",
                _diff(
                    "\n".join(_text(v)[:400] for _, v in a), "\n".join(_text(v)[:400] for _, v in b)
                ),
            )
        )
        return result
    for position, ((kind, x), (_, y)) in enumerate(zip(a, b, strict=True)):
        status, what, diff = _compare_item(kind, x, y, tol, clocks)
        if status != "same":
            result.differences.append(Difference(position, kind, status, what, diff))
    result.status = max([d.status for d in result.differences] + ["same"], key=STATUSES.index)
    return result


def started(notebook: dict[str, Any]) -> datetime | None:
    """When papermill started the notebook (UTC), if it did."""
    value = notebook.get("metadata", {}).get("papermill", {}).get("start_time")
    return _utc(value) if value else None


def compare_notebooks(
    recorded: dict[str, Any], reproduced: dict[str, Any], tol: Tolerance | None = None
) -> list[CellComparison]:
    """Cell by cell; cells are matched by position (the same input gives the same cells)."""
    tol = tol or Tolerance()
    clocks = (started(recorded), started(reproduced))
    cells_a, cells_b = recorded["cells"], reproduced["cells"]
    pairs = enumerate(zip(cells_a, cells_b, strict=False))
    results = [compare_cell(i, a, b, tol, clocks) for i, (a, b) in pairs]
    for i in range(len(results), max(len(cells_a), len(cells_b))):
        side = "recorded only" if i < len(cells_a) else "reproduced only"
        cell = cells_a[i] if i < len(cells_a) else cells_b[i]
        results.append(
            CellComparison(
                i,
                cell.get("id"),
                "differs",
                [Difference(0, "cell", "differs", f"cell {i} is in the {side} run")],
                _text(cell.get("source", "")),
            )
        )
    return results
