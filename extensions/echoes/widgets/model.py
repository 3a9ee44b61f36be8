"""What the notebook widgets show and send, with no widget library: pure functions.

The browser side of a widget only draws and reports what the person did (a rectangle or
polygon in image pixels, the form's values, the rows they ticked). Everything else lives
here, where unit tests reach it: the target a drawn region makes, the annotation a form makes, which
group an annotation is shown in, and which table rows annotations point at.

The rules of the view (groups, motivations, tags, regions, verdicts) are data in
view.json, which the JupyterLab extension reads too; tests/fixtures/view/ holds golden
cases that both test suites check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from echoes.annotations import polygon, region, table_row

RULES: dict = json.loads((Path(__file__).parent / "view.json").read_text())
#: The groups an image's annotations are shown in, in the order of the legend.
GROUPS = tuple(group["key"] for group in RULES["groups"])
#: Motivations a person picks from (W3C Web Annotation vocabulary), the default first.
MOTIVATIONS = tuple(RULES["motivations"]["offered"])
ASSESSING = RULES["motivations"]["verdict"]
REPLYING = RULES["motivations"]["reply"]
VERDICTS = tuple(RULES["verdicts"]["values"])
MAX_TEXT = 10_000

_XYWH = re.compile(RULES["regions"]["xywh"])
_ROWS = re.compile(r"^row=(.+)$")
_POLYGON = re.compile(r"""<polygon\b[^>]*\bpoints\s*=\s*(["'])([^"']*)\1""", re.IGNORECASE)


class FormError(ValueError):
    """What the person entered cannot make an annotation; the message says what to fix."""


# --- coordinates -----------------------------------------------------------------------


def _number(value: Any) -> float:
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return number


def region_target(canvas: dict, drawn: Any, width: int, height: int) -> dict:
    """The target of a region drawn on the image (the browser sends it in image pixels, as
    OpenSeadragon and Annotorious measure it): ``{"kind": "rect", "x", "y", "w", "h"}`` or
    ``{"kind": "polygon", "points": [[x, y], ...]}``, in whole pixels, clipped to the image."""
    kind = drawn.get("kind") if isinstance(drawn, dict) else None
    try:
        if kind == "rect":
            x, y, w, h = (_number(drawn[k]) for k in ("x", "y", "w", "h"))
            left, top = max(0, round(x)), max(0, round(y))
            right, bottom = min(width, round(x + w)), min(height, round(y + h))
            if right - left < 1 or bottom - top < 1:
                raise FormError("draw a rectangle on the image first")
            return region(canvas, left, top, right - left, bottom - top)
        if kind == "polygon":
            points = [
                (min(width, max(0, round(_number(x)))), min(height, max(0, round(_number(y)))))
                for x, y in drawn["points"]
            ]
            if len(set(points)) < 3:
                raise FormError("a polygon needs at least 3 corners on the image")
            return polygon(canvas, points)
    except (KeyError, TypeError, ValueError):
        raise FormError("the region needs numbers: x, y, w, h or the polygon's points") from None
    raise FormError("draw a rectangle or a polygon on the image first")


def parse_xywh(value: str, width: int, height: int) -> tuple[float, float, float, float] | None:
    """The pixel rectangle of a media-fragment ``xywh=`` value (pixel or percent), or None."""
    match = _XYWH.match(value or "")
    if not match:
        return None
    unit, *numbers = match.groups()
    x, y, w, h = (float(n) for n in numbers)
    if unit == "percent":
        return x * width / 100, y * height / 100, w * width / 100, h * height / 100
    return x, y, w, h


# --- the annotation a form makes ---------------------------------------------------------


def parse_tags(tags: str | Iterable[str]) -> list[str]:
    """Tags from "a, b, a" or a list: stripped, without empties or repeats, in order."""
    items = tags.split(RULES["tags"]["separator"]) if isinstance(tags, str) else list(tags)
    return list(dict.fromkeys(str(t).strip() for t in items if str(t).strip()))


def annotation_args(form: dict, visibilities: Iterable[str]) -> dict[str, Any]:
    """Body, motivation, tags and visibility for ``AnnotationClient.annotate`` from the
    values of the widget's form; raise FormError naming the field at fault."""
    text = str(form.get("text") or "").strip()
    tags = parse_tags(form.get("tags") or "")
    if not text and not tags:
        raise FormError("write a text or at least one tag")
    if len(text) > MAX_TEXT:
        raise FormError(f"the text is longer than {MAX_TEXT} characters")
    motivation = form.get("motivation") or MOTIVATIONS[0]
    if motivation not in MOTIVATIONS:
        raise FormError(f"motivation must be one of {', '.join(MOTIVATIONS)}")
    visibility = form.get("visibility") or "private"
    if visibility not in visibilities:
        raise FormError(f"visibility must be one of {', '.join(visibilities)}")
    return {"body": text or None, "motivation": motivation, "tags": tags, "visibility": visibility}


def edited(annotation: dict, args: dict, target: dict | None) -> dict:
    """``annotation`` (as read, with its ETag) with the form's body, motivation, tags and
    visibility, and ``target`` when a new rectangle was drawn."""
    from echoes.annotations import AnnotationClient

    document = AnnotationClient.document(
        target or annotation["target"],
        args["body"],
        args["motivation"],
        args["tags"],
        args["visibility"],
    )
    kept = {k: v for k, v in annotation.items() if k not in document and k != "body"}
    return {**kept, **document}


# --- what an image's annotations look like in the widget -------------------------------------


def group_of(annotation: dict, me: str) -> str:
    """Where an annotation is shown: software proposals apart, then the viewer's own, then
    those shared with a group, public ones, and others (an administrator sees everything)."""
    creator = annotation.get("creator") or {}
    if creator.get("type") == "Software":
        return "software"
    if creator.get("nickname") == me:
        return "yours"
    visibility = str(annotation.get("visibility") or "")
    if visibility.startswith("group:"):
        return "groups"
    return "public" if visibility == "public" else "others"


def bodies_of(annotation: dict) -> tuple[str, list[str]]:
    """The text (every textual body that is not a tag) and the tags of an annotation. A
    body that is a bare string is the IRI of a resource (W3C), not text."""
    bodies = annotation.get("body", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    texts, tags = [], []
    for body in bodies:
        if isinstance(body, dict) and isinstance(body.get("value"), str):
            (tags if body.get("purpose") == "tagging" else texts).append(body["value"])
    return " · ".join(texts), tags


def _selector_values(annotation: dict) -> list[str]:
    targets = annotation.get("target")
    values = []
    for target in targets if isinstance(targets, list) else [targets]:
        if not isinstance(target, dict):
            continue
        selectors = target.get("selector")
        for selector in selectors if isinstance(selectors, list) else [selectors]:
            if isinstance(selector, dict) and isinstance(selector.get("value"), str):
                values.append(selector["value"])
    return values


def _svg_values(annotation: dict) -> list[str]:
    """The values of an annotation's SvgSelectors (its polygons)."""
    targets = annotation.get("target")
    values = []
    for target in targets if isinstance(targets, list) else [targets]:
        selectors = target.get("selector") if isinstance(target, dict) else None
        for selector in selectors if isinstance(selectors, list) else [selectors]:
            if isinstance(selector, dict) and selector.get("type") == "SvgSelector":
                values.append(selector.get("value"))
    return [v for v in values if isinstance(v, str)]


def parse_svg_polygon(value: str) -> list[tuple[float, float]] | None:
    """The corners of the first ``<polygon points="...">`` of an SvgSelector, or None."""
    match = _POLYGON.search(value or "")
    if not match:
        return None
    try:
        numbers = [float(n) for n in re.split(r"[\s,]+", match.group(2).strip())]
    except ValueError:
        return None
    if len(numbers) < 6 or len(numbers) % 2:
        return None
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _first_value(annotation: dict) -> Any:
    """The value of an annotation's first body."""
    bodies = annotation.get("body")
    body = bodies[0] if isinstance(bodies, list) and bodies else bodies
    return body.get("value") if isinstance(body, dict) else None


def verdicts(assessments: Iterable[dict], me: str) -> dict[str, str]:
    """The latest verdict ("accepted"/"rejected") of the viewer, a person, on each proposal
    IRI: the first body of their latest assessing annotation on it."""
    latest: dict[str, tuple[str, str]] = {}
    for assessment in assessments:
        target = assessment.get("target")
        creator = assessment.get("creator") or {}
        verdict = _first_value(assessment)
        by_me = creator.get("type") != "Software" and creator.get("nickname") == me
        if (
            by_me
            and assessment.get("motivation") == ASSESSING
            and isinstance(target, str)
            and verdict in VERDICTS
        ):
            stamp = str(assessment.get("modified") or assessment.get("created") or "")
            if target not in latest or stamp >= latest[target][0]:
                latest[target] = (stamp, verdict)
    return {target: verdict for target, (_, verdict) in latest.items()}


def shapes(
    annotations: Iterable[dict],
    me: str,
    width: int,
    height: int,
    judged: dict[str, str] | None = None,
    replies: Iterable[dict] = (),
) -> list[dict]:
    """What the front end draws: one plain dict per annotation, with its group, its box in
    image pixels (None when it targets the whole image), text, tags, whether the viewer
    may edit it and the replies to it, oldest first. Assessments are not drawn: they show
    as the verdict of their proposal; replies show under what they answer."""
    judged = judged or {}
    threads: dict[str, list[dict]] = {}
    for reply in sorted(replies, key=lambda r: str(r.get("created") or "")):
        if reply.get("motivation") == REPLYING and isinstance(reply.get("target"), str):
            creator = reply.get("creator") or {}
            threads.setdefault(reply["target"], []).append(
                {
                    "id": reply.get("id"),
                    "text": bodies_of(reply)[0],
                    "creator": creator.get("nickname") or creator.get("name") or "",
                }
            )
    found = []
    for annotation in annotations:
        motivation = annotation.get("motivation")
        if motivation in (ASSESSING, REPLYING):
            continue
        creator = annotation.get("creator") or {}
        points = next(
            (p for p in (parse_svg_polygon(v) for v in _svg_values(annotation)) if p), None
        )
        box = _bounds(points) if points else None
        box = box or next(
            (b for b in (parse_xywh(v, width, height) for v in _selector_values(annotation)) if b),
            None,
        )
        text, tags = bodies_of(annotation)
        group = group_of(annotation, me)
        found.append(
            {
                "id": annotation.get("id"),
                "group": group,
                "box": list(box) if box else None,
                "points": [list(p) for p in points] if points else None,
                "text": text,
                "tags": tags,
                "motivation": ",".join(motivation) if isinstance(motivation, list) else motivation,
                "visibility": annotation.get("visibility"),
                "creator": creator.get("nickname") or creator.get("name") or "",
                "confidence": annotation.get("confidence"),
                "editable": group == "yours",
                "verdict": judged.get(annotation.get("id", "")),
                "replies": threads.get(annotation.get("id", ""), []),
            }
        )
    order = {g: n for n, g in enumerate(GROUPS)}
    return sorted(found, key=lambda s: (order[s["group"]], s["box"] is None))


# --- table rows ---------------------------------------------------------------------------


def row_targets(source: str, rows: Iterable[int]) -> list[dict]:
    """One RFC 7111 target per run of consecutive row numbers: 2, 3, 4, 7 -> row=2-4, row=7."""
    ordered = sorted({int(r) for r in rows})
    if not ordered:
        raise FormError("tick at least one row")
    if ordered[0] < 1:
        raise FormError("row numbers start at 1")
    runs: list[list[int]] = []
    for row in ordered:
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return [table_row(source, a) if a == b else table_row(source, a, b) for a, b in runs]


def rows_of(annotation: dict, source: str, count: int) -> list[int]:
    """The row numbers (1 to ``count``) of ``source`` that an annotation targets."""
    targets = annotation.get("target")
    found: list[int] = []
    for target in targets if isinstance(targets, list) else [targets]:
        if not isinstance(target, dict):
            continue
        origin = target.get("source")
        origin = origin.get("id") if isinstance(origin, dict) else origin
        selector = target.get("selector")
        value = selector.get("value", "") if isinstance(selector, dict) else ""
        match = _ROWS.match(value)
        if origin != source or not match:
            continue
        for part in match.group(1).split(";"):
            first, _, last = part.partition("-")
            end = count if last == "*" else int(last or first)
            found += range(int(first), min(end, count) + 1)
    return sorted(set(found))


def row_notes(annotations: Iterable[dict], source: str, count: int, me: str) -> dict[int, list]:
    """Per row number, the annotations on it as the table shows them (text, tags, who)."""
    notes: dict[int, list] = {}
    for annotation in annotations:
        text, tags = bodies_of(annotation)
        creator = annotation.get("creator") or {}
        note = {
            "id": annotation.get("id"),
            "text": text,
            "tags": tags,
            "creator": creator.get("nickname") or creator.get("name") or "",
            "group": group_of(annotation, me),
        }
        for row in rows_of(annotation, source, count):
            notes.setdefault(row, []).append(note)
    return notes
