"""An object's page: its Linked Art record as a museum's collection page, every value escaped.

What the record says, in the order a reader looks for it: title, identifiers, types,
production (who, when, where), the measurements as a table with a small plot of the object
among its group (inline SVG made here, `plot`), the images (the region of an image in the
IIIF service, and the whole image with the region marked), the related objects
(`related`), rights, the source and how to cite the object, the interpretations
people and software made of it (`interpretations_section`), each with links to agree,
contest or reply on the annotation service's own form, and the analyses that used it
(`analyses_section`). Server-rendered and readable without JavaScript; links to the same
object as JSON-LD and Turtle (``?format=``). Its words in the reader's language
(base/languages.py: English, French, German); what the record says, in the record's.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from ..base.languages import _, language_links, speaking
from .linkedart import CANVAS_REGION, IIIF_IMAGE_API, image_service, label
from .plot import Axis, Point, scatter
from .related import Canvas, Related
from .store import OBJECT

#: The images of a whole-image view are asked for at most this size (pixels).
WHOLE_IMAGE = 800
#: Getty AAT's "pixels": the unit of an image's width and height in Linked Art.
PIXELS = "http://vocab.getty.edu/aat/300266190"
#: Per collection, the plot of an object among its group: the group's relation and the
#: measurements (classification ids, catalogs/twins.py) on the x and y axes. Chosen to
#: show what the data are known for: the kilns apart by aluminium and iron oxide (Tubb
#: et al. 1980), the skulls' breadth and height over the epochs, de Piles' colour and
#: drawing by school. The Tate's records have no dimensions, and rock art and coins no
#: measurements of the objects: no plot.
PLOTS = {
    "pottery": ("made_at", "urn:echoes:type:oxide/Al2O3", "urn:echoes:type:oxide/Fe2O3"),
    "skulls": ("epoch", "urn:echoes:type:skull/mb", "urn:echoes:type:skull/bh"),
    "painters": (
        "member_of",
        "urn:echoes:type:de-piles-score/colour",
        "urn:echoes:type:de-piles-score/drawing",
    ),
}
#: How a plot's title names the group, by its relation.
GROUP_PHRASES = {
    "made_at": "made at {}",
    "epoch": "of the epoch {}",
    "member_of": "of the {}",
}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;"
    "line-height:1.45}table{border-collapse:collapse}th,td{border:1px solid #ccc;"
    "padding:.2rem .5rem;text-align:left}td.value{text-align:right}figure{margin:1rem 0}"
    "figcaption{font-size:.9rem;color:#444}figure.region img{width:8rem;height:auto}"
    "figure.served img{max-width:100%;height:auto}"
    "pre.citation{white-space:pre-wrap;"
    "background:#f4f4f4;padding:.5rem}.interpretation{border-left:3px solid #999;"
    "padding-left:.6rem;margin:.6rem 0}.status-accepted{border-color:#2e7d32}"
    ".status-rejected{border-color:#c62828}.status-contested{border-color:#ef6c00}"
)


def term(node: dict[str, Any]) -> str:
    """A linked term: its label, linked to its id when the id is a web address."""
    text = escape(label(node))
    iri = node.get("id", "")
    return f'<a href="{escape(iri)}">{text}</a>' if iri.startswith("http") else text


def kinds(node: dict[str, Any]) -> str:
    found = [term(t) for t in node.get("classified_as", [])]
    return f" ({', '.join(found)})" if found else ""


def items(rows: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{row}</li>" for row in rows) + "</ul>" if rows else ""


def section(title: str, body: str) -> str:
    return f"<h2>{escape(title)}</h2>\n{body}\n" if body else ""


def production(record: dict[str, Any]) -> list[str]:
    produced = record.get("produced_by")
    if not produced:
        return []
    rows = [_("by %(who)s") % {"who": term(a)} for a in produced.get("carried_out_by", [])]
    if "timespan" in produced:
        rows.append(_("in %(time)s") % {"time": escape(label(produced["timespan"]))})
    rows += [_("at %(place)s") % {"place": term(p)} for p in produced.get("took_place_at", [])]
    return rows


@dataclass(frozen=True)
class Measurement:
    """One measurement of the object: what (its classification), value, unit, and who
    assigned it (empty: the source states it)."""

    what: str
    what_id: str
    value: float
    unit: str
    by: str = ""
    when: str = ""


def measurement(
    dimension: dict[str, Any], of_region: bool = False, by: str = "", when: str = ""
) -> Measurement:
    """A Linked Art dimension as a `Measurement`: what it is is its first classification
    (``of_region``: of an image's region)."""
    classes = dimension.get("classified_as") or [{}]
    what = label(classes[0]) if classes[0] else label(dimension)
    if of_region and classes[0]:
        what = _("%(what)s of the image region") % {"what": what}
    return Measurement(
        what,
        classes[0].get("id", ""),
        dimension["value"],
        label(dimension["unit"]) if "unit" in dimension else "",
        by,
        when,
    )


def measurements(record: dict[str, Any]) -> list[Measurement]:
    """The object's dimensions, those assigned to it (de Piles' scores, with who and
    when), and its images' (the size of a coin's region in the photograph)."""
    found = [measurement(d) for d in record.get("dimension", []) if "value" in d]
    for assignment in record.get("attributed_by", []):
        who = ", ".join(label(a) for a in assignment.get("carried_out_by", []))
        when = label(assignment["timespan"]) if "timespan" in assignment else ""
        found += [
            measurement(d, by=who, when=when)
            for d in assignment.get("assigned", [])
            if "value" in d
        ]
    for visual in record.get("representation", []):
        for digital in visual.get("digitally_shown_by", []):
            points = [p.get("id", "") for p in digital.get("access_point", [])]
            if not any(CANVAS_REGION in p for p in points):
                continue  # a whole photograph's pixels measure the photograph, not the object
            found += [
                measurement(d, of_region=True) for d in digital.get("dimension", []) if "value" in d
            ]
    return found


def number(value: float) -> str:
    return f"{value:g}"


def measurement_table(found: list[Measurement]) -> str:
    if not found:
        return ""
    assigned = any(m.by for m in found)
    head = "".join(f'<th scope="col">{h}</th>' for h in (_("What"), _("Value"), _("Unit")))
    head = f"<tr>{head}" + (
        f'<th scope="col">{_("Assigned by")}</th></tr>' if assigned else "</tr>"
    )
    rows = []
    for m in found:
        row = (
            f'<tr><th scope="row">{escape(m.what)}</th>'
            f'<td class="value">{escape(number(m.value))}</td><td>{escape(m.unit)}</td>'
        )
        if assigned:
            row += f"<td>{escape(m.by)}{f' ({escape(m.when)})' if m.when else ''}</td>"
        rows.append(row + "</tr>")
    return (
        f'<table class="measurements"><caption>{_("Measurements of this object")}</caption>'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def group_plot(collection: str, local_id: str, related: Related, objects_url: str) -> str:
    """The figure of the object among its group (`PLOTS`): one point for each object of
    the group that has both measurements. "" when its collection has no plot, or the
    object lacks them."""
    if collection not in PLOTS:
        return ""
    relation, x_id, y_id = PLOTS[collection]
    group = related.group(collection, local_id, relation)
    if group is None:
        return ""
    points, axes = [], {}
    for member in group.members:
        record = related.records[collection][member]
        by_kind = {m.what_id: m for m in measurements(record)}
        if x_id not in by_kind or y_id not in by_kind:
            continue
        x, y = by_kind[x_id], by_kind[y_id]
        axes = axes or {"x": Axis(x.what, x.unit), "y": Axis(y.what, y.unit)}
        href = f"{objects_url}{quote(collection)}/{quote(member)}"
        points.append(Point(x.value, y.value, label(record), href, member == local_id))
    if not any(p.this for p in points):
        return ""
    this = next(p for p in points if p.this)
    said = {
        "object": this.label,
        "count": len(points),
        "group": _(GROUP_PHRASES[relation]).format(group.label),
        "y": axes["y"].title,
        "x": axes["x"].title,
        "at": f"{number(this.x)}, {number(this.y)}",
    }
    title = _("%(object)s among the %(count)d %(group)s") % said
    description = (
        _(
            "Scatter plot of %(y)s against %(x)s for the %(count)d %(group)s; each point links "
            "to its page. This object, highlighted, is at %(at)s."
        )
        % said
    )
    svg = scatter(points, axes["x"], axes["y"], title, description, f"plot-{relation}")
    caption = escape(
        _(
            "%(object)s (the large outlined point) among the %(count)d %(group)s: "
            "%(y)s against %(x)s."
        )
        % said
    )
    return f'<figure class="group-plot">{svg}<figcaption>{caption}</figcaption></figure>'


def rights(record: dict[str, Any]) -> list[str]:
    """The rights of the object and of its images (the data set's licence is the source's)."""
    nodes = [
        record,
        *(d for v in record.get("representation", []) for d in v.get("digitally_shown_by", [])),
    ]
    return [
        f"{term(kind)} ({escape(label(node))})"
        for node in nodes
        for right in node.get("subject_to", [])
        for kind in right.get("classified_as", [])
    ]


def image_regions(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Each image of the object: what it shows, and the IIIF address of its region."""
    found = []
    for visual in record.get("representation", []):
        for digital in visual.get("digitally_shown_by", []):
            for point in digital.get("access_point", []):
                found.append((label(visual), point["id"]))
    return found


def image_services(record: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """The images of the object that a IIIF Image API service of their own gives (a
    harvested record's, harvest/records.py; a contributed photograph's): the service and
    the size to show, by the image's access point. The size is `WHOLE_IMAGE`, or the
    image's longer side in pixels when the record says it is smaller (the Image API
    refuses a `!w,h` larger than the image)."""
    found = {}
    for visual in record.get("representation", []):
        for digital in visual.get("digitally_shown_by", []):
            services = [
                point["id"]
                for service in digital.get("digitally_available_via", [])
                if any(c.get("id") == IIIF_IMAGE_API for c in service.get("conforms_to", []))
                for point in service.get("access_point", [])
                if point.get("id", "").startswith(("http://", "https://"))
            ]
            pixels = [
                d.get("value", 0)
                for d in digital.get("dimension", [])
                if d.get("unit", {}).get("id") == PIXELS
            ]
            size = int(min(WHOLE_IMAGE, max(pixels))) if pixels else WHOLE_IMAGE
            for point in digital.get("access_point", []):
                if services:
                    found[point["id"]] = (services[0], size)
    return found


def served_image(what: str, served: tuple[str, int], record: dict[str, Any]) -> str:
    """An image from its own IIIF Image API service (its source's, or the hub's for a
    contributed photograph), at most ``size`` pixels wide or high, and the links a IIIF
    viewer opens for deep zoom."""
    service, size = served
    src = f"{service}/full/!{size},{size}/0/default.jpg"
    links = [f'<a href="{escape(service)}/info.json">{_("IIIF Image API (info.json)")}</a>']
    manifests = [
        point["id"]
        for source in record.get("subject_of", [])
        for carrier in source.get("digitally_carried_by", [])
        for point in carrier.get("access_point", [])
        if point.get("id", "").startswith(("http://", "https://"))
    ]
    theirs = _("the source's record")
    links += [f'<a href="{escape(m)}">{theirs}</a>' for m in manifests[:1]]
    deep_zoom = _(
        "Deep zoom: open the image's info.json in a IIIF viewer (Mirador, OpenSeadragon)."
    )
    return (
        f'<figure class="served"><img src="{escape(src)}" alt="{escape(what)}">'
        f"<figcaption>{escape(what)}</figcaption></figure>"
        f"<p>{escape(deep_zoom)} {'; '.join(links)}.</p>"
    )


def images(
    record: dict[str, Any],
    entry: dict[str, Any],
    iiif_url: str,
    canvases: dict[str, Canvas],
    interpretations: list[dict[str, Any]] = (),
) -> str:
    """Each image: its region from the IIIF Image API; with the region's canvas known, the
    whole image with the region marked, and the regions of ``interpretations`` on it
    (SVG over the image, no script), and the links a IIIF viewer opens for deep zoom (the
    image's info.json, the manifest, the canvas region)."""
    image = entry.get("iiif_image")
    served = image_services(record)
    shown = []
    for number_, (what, address) in enumerate(image_regions(record), start=1):
        if address in served:
            shown.append(served_image(what, served[address], record))
            continue
        canvas_id, __, region = address.partition(CANVAS_REGION)
        if not (image and region):
            shown.append(f"<p>{term({'id': address, '_label': what})}</p>")
            continue
        base = image_service(iiif_url, image)
        src = f"{base}/{region}/max/0/default.jpg"
        parts = [
            f'<figure class="region"><img src="{escape(src)}" alt="{escape(what)}">'
            f"<figcaption>{escape(what)}</figcaption></figure>"
        ]
        canvas = canvases.get(canvas_id)
        links = [f'<a href="{escape(base)}/info.json">{_("IIIF Image API (info.json)")}</a>']
        if canvas is not None:
            marks = [
                (r["bounds"], str(i.get("text") or ""), str(i.get("status") or "proposed"))
                for i in interpretations
                for r in i.get("regions", [])
                if r.get("canvas") == canvas_id
            ]
            parts.append(whole_image(canvas, base, region, what, f"whole-{number_}", marks))
            manifest = f"{iiif_url}presentation/{quote(canvas.manifest)}"
            links.insert(0, f'<a href="{escape(manifest)}">{_("IIIF manifest")}</a>')
        links.append(_("canvas region %(region)s") % {"region": f"<code>{escape(address)}</code>"})
        deep_zoom = _(
            "Deep zoom: open the IIIF manifest or the image's info.json in a IIIF viewer "
            "(Mirador, OpenSeadragon)."
        )
        parts.append(f"<p>{escape(deep_zoom)} {'; '.join(links)}.</p>")
        shown.append("".join(parts))
    return "".join(shown)


def whole_image(
    canvas: Canvas,
    base: str,
    region: str,
    what: str,
    key: str,
    marks: list[tuple[list[float], str, str]] = (),
) -> str:
    """The whole image, the region outlined on it, in the canvas's pixels; and each mark
    (the bounds of an interpretation's region, its words and status), dashed, its words
    its title (shown on hover)."""
    try:
        x, y, w, h = (float(v) for v in region.split(","))
    except ValueError:
        return ""
    large = max(canvas.width, canvas.height) > WHOLE_IMAGE
    size = f"!{WHOLE_IMAGE},{WHOLE_IMAGE}" if large else "max"
    src = f"{base}/full/{size}/0/default.jpg"
    title = _("%(what)s, outlined on the whole image") % {"what": what}
    annotated = [
        f'<rect class="interpretation-region status-{escape(status)}" x="{bx:g}" y="{by:g}" '
        f'width="{bw:g}" height="{bh:g}" fill="none" stroke="#1565c0" stroke-width="2" '
        f'stroke-dasharray="6 4"><title>{escape(words)}</title></rect>'
        for (bx, by, bw, bh), words, status in marks
    ]
    said = {"canvas": canvas.label, "width": canvas.width, "height": canvas.height}
    said |= {"x": f"{x:g}", "y": f"{y:g}", "w": f"{w:g}", "h": f"{h:g}", "marks": len(marks)}
    description = (
        _(
            "%(canvas)s, %(width)d by %(height)d pixels, with the region x %(x)s, y %(y)s, "
            "%(w)s by %(h)s pixels outlined."
        )
        % said
    )
    if marks:
        description += " " + _("%(marks)d region(s) of public interpretations dashed.") % said
    return (
        '<figure class="whole-image">'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="whole" '
        f'viewBox="0 0 {canvas.width} {canvas.height}" width="{min(canvas.width, 640)}" '
        f'aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(description)}</desc>'
        f'<image href="{escape(src)}" x="0" y="0" width="{canvas.width}" '
        f'height="{canvas.height}"/>'
        f'<rect class="region" x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="none" '
        f'stroke="#d81b60" stroke-width="3"/>{"".join(annotated)}</svg>'
        f"<figcaption>{escape(title)}: {escape(canvas.label)}.</figcaption></figure>"
    )


def related_section(
    related: Related, collection: str, local_id: str, objects_url: str, shown: int
) -> str:
    """Each group the object is in with others: links to their pages (the first ``shown``
    of them, and how many more)."""
    parts = []
    for group in related.groups_of(collection, local_id):
        others = [m for m in group.members if m != local_id]
        records = related.records[collection]
        links = [
            f'<li><a href="{escape(objects_url)}{quote(collection)}/{quote(m)}">'
            f"{escape(label(records[m]))}</a></li>"
            for m in others[:shown]
        ]
        more = len(others) - len(links)
        parts.append(
            f'<section class="related" data-relation="{escape(group.relation)}">'
            f"<h3>{escape(group.heading)} ({len(others)})</h3>"
            f'<ul class="related-links">{"".join(links)}</ul>'
            + (f"<p>{_('and %(more)d more.') % {'more': more}}</p>" if more > 0 else "")
            + "</section>"
        )
    return "".join(parts)


def cite(record: dict[str, Any], entry: dict[str, Any], page_url: str) -> str:
    """The object's IRI, the source's citation and licence, a citation ready to copy."""
    twin = _("Digital twin %(iri)s, from %(source)s") % {
        "iri": record["id"],
        "source": entry["title"],
    }
    citation = (
        f"{label(record)}. {twin} ({entry['licence']}). {entry['citation']} ECHOES VRE: {page_url}"
    )
    return (
        f'<dl class="cite"><dt>IRI</dt><dd><code>{escape(record["id"])}</code></dd>'
        f"<dt>{_('Source')}</dt><dd>{escape(entry['title'])} ({escape(entry['entry'])})</dd>"
        f"<dt>{_('Licence')}</dt><dd>{licence_link(entry['licence'])}</dd>"
        f"<dt>{_('Cite the source as')}</dt><dd>{escape(entry['citation'])}</dd></dl>"
        f"<p>{_('Ready to copy:')}</p>"
        f'<pre class="citation">{escape(citation)}</pre>'
        f'<p><a href="{escape(page_url)}?format=json-ld">'
        f"{_('This record as Linked Art JSON-LD')}</a></p>"
    )


def licence_link(spdx: str) -> str:
    if spdx.startswith("LicenseRef-") or not spdx:
        return escape(spdx)
    return f'<a href="https://spdx.org/licenses/{quote(spdx)}.html">{escape(spdx)}</a>'


def who(creator: dict[str, Any] | str) -> str:
    """`creator_text`, escaped for the page."""
    return escape(creator_text(creator))


def creator_text(creator: dict[str, Any] | str) -> str:
    """A person by nickname; software by name and version, and for whom it acted (a
    person, or a hub user's name)."""
    if isinstance(creator, str):
        return creator
    kinds = creator.get("type")
    if "Software" in (kinds if isinstance(kinds, list) else [kinds]):
        name = creator.get("name") or creator.get("id") or "software"
        version = f" {creator['version']}" if creator.get("version") else ""
        text = f"{name}{version} (software)"
        for_whom = creator.get("actedOnBehalfOf")
        return f"{text}, for {creator_text(for_whom)}" if for_whom else text
    return str(creator.get("nickname") or creator.get("name") or creator.get("id", "?"))


def claim_key(claim: dict[str, Any]) -> tuple[str, str]:
    value = claim.get("value") or {}
    return str(claim.get("property", "")), str(value.get("id") or value.get("label") or "")


def claim_heading(claim: dict[str, Any]) -> str:
    value = claim.get("value") or {}
    prop = escape(str(claim.get("property", "")))
    if claim.get("crm", "").startswith("http"):
        prop = f'<a href="{escape(claim["crm"])}">{prop}</a>'
    shown = escape(str(value.get("label") or value.get("id") or ""))
    if str(value.get("id", "")).startswith("http"):
        shown = f'<a href="{escape(value["id"])}">{shown}</a>'
    return f"{prop}: {shown}"


def answer_links(annotation: str, page_url: str) -> str:
    """Agree, Contest and Reply: links to the form of the annotation service that holds
    ``annotation`` (its ``respond``, hub/services/annotations/respond.py), where the reader
    logs in and confirms; this page acts for nobody. A new tab: the twin panel's frame
    may not show the service. "" for an annotation of no service (no ``containers/``)."""
    service, found, __ = annotation.partition("containers/")
    if not found or not service.startswith(("http://", "https://")):
        return ""
    links = [
        f'<a class="answer" href="{escape(service)}respond?'
        f'{escape(urlencode({"to": annotation, "verdict": verdict, "back": page_url}))}" '
        f'target="_blank" rel="noopener">{name}</a>'
        for verdict, name in (("agreed", _("Agree")), ("contested", _("Contest")), ("", _("Reply")))
    ]
    return f'<p class="answers">{" ".join(links)}</p>'


def interpretation(item: dict[str, Any], page_url: str = "") -> str:
    """One interpretation: who, when, confidence, status (and by whom), agree and contest
    counts, whether the current view adopts it, its text, its replies and the links to
    answer it (`answer_links`, given the page's ``page_url``)."""
    status = str(item.get("status") or "proposed")
    when = escape(str(item.get("created", "")))
    if item.get("modified") and item["modified"] != item.get("created"):
        when += ", " + _("changed %(time)s") % {"time": escape(str(item["modified"]))}
    confidence = item.get("confidence")
    facts = [
        _("by %(who)s") % {"who": who(item.get("creator") or {})},
        _("on %(time)s") % {"time": when},
        _("confidence %(confidence)s")
        % {"confidence": f"{float(confidence):.0%}" if confidence is not None else _("not given")},
    ]
    verdicts = [
        f"{escape(str(v.get('verdict', '')))} "
        + _("by %(who)s") % {"who": who(v.get("creator") or {})}
        + (" " + _("on %(time)s") % {"time": escape(str(v["at"]))} if v.get("at") else "")
        for v in item.get("status_by", [])
    ]
    agree, contest = len(item.get("agree", [])), len(item.get("contest", []))
    replies = [
        f"<li>{who(r.get('creator') or {})}, {escape(str(r.get('created', '')))}: "
        f"{escape(str(r.get('text', '')))}</li>"
        for r in item.get("replies", [])
    ]
    return (
        f'<article class="interpretation status-{escape(status)}" '
        f'data-id="{escape(str(item.get("id", "")))}">'
        f"<p>{escape(str(item.get('text', '')))}</p>"
        f'<p class="facts">{"; ".join(facts)}.</p>'
        f'<p class="status">{_("Status:")} <strong>{escape(status)}</strong>'
        + (f" ({'; '.join(verdicts)})" if verdicts else "")
        + f'. <span class="agree">{_("%(count)d agree") % {"count": agree}}</span>, '
        f'<span class="contest">{_("%(count)d contest") % {"count": contest}}</span>.'
        + (
            f' <span class="adopted">{_("In the current view.")}</span>'
            if item.get("adopted")
            else ""
        )
        + "</p>"
        + (f'<ul class="replies">{"".join(replies)}</ul>' if replies else "")
        + (answer_links(str(item.get("annotation", "")), page_url) if page_url else "")
        + "</article>"
    )


def interpretations_section(items: list[dict[str, Any]], page_url: str = "") -> str:
    """The interpretations of an object (the twins' interpretations contract, README),
    grouped by claim: one group per (property, value id or label), in the order first
    met; an interpretation of several claims shows in each of their groups, one of none
    in "Notes", last. Every value escaped. "" when there are none."""
    if not items:
        return ""
    groups: dict[tuple[str, str], tuple[str, list[str]]] = {}
    notes: list[str] = []
    for item in items:
        shown = interpretation(item, page_url)
        claims = item.get("claims") or []
        if not claims:
            notes.append(shown)
        for claim in claims:
            key = claim_key(claim)
            groups.setdefault(key, (claim_heading(claim), []))[1].append(shown)
    parts = [
        f'<section class="claim"><h3>{heading} ({len(shown)})</h3>{"".join(shown)}</section>'
        for heading, shown in groups.values()
    ]
    if notes:
        parts.append(
            f'<section class="claim notes"><h3>{_("Notes")} ({len(notes)})</h3>'
            f"{''.join(notes)}</section>"
        )
    return "".join(parts)


def analyses_section(analyses: list[dict[str, Any]]) -> str:
    """The runs linked to the object (`Commons.analyses`): the notebook, who ran it, when,
    and the run's IRI; a plain sentence when there are none. Every value escaped."""
    if not analyses:
        return f"<p>{_('No public analysis names this object yet.')}</p>"
    rows = [
        f'<li class="analysis" data-run="{escape(str(a.get("run", "")))}">'
        + _("%(notebook)s, run by %(who)s on %(time)s; run %(run)s")
        % {
            "notebook": f"<strong>{escape(str(a.get('label') or _('a notebook')))}</strong>",
            "who": who(a.get("creator") or {}),
            "time": escape(str(a.get("ran") or a.get("created", ""))),
            "run": f"<code>{escape(str(a.get('run', '')))}</code>",
        }
        + "</li>"
        for a in analyses
    ]
    return f'<ul class="analyses">{"".join(rows)}</ul>'


def render(
    record: dict[str, Any],
    entry: dict[str, Any],
    page_url: str,
    iiif_url: str,
    *,
    related: Related | None = None,
    related_shown: int = 24,
    interpretations: list[dict[str, Any]] | None = None,
    analyses: list[dict[str, Any]] | None = None,
    language: str = "en",
) -> str:
    """The page of ``record`` (its collection's index ``entry``) in ``language``;
    ``page_url``: this page's address (without query), ``iiif_url``: the IIIF service's public URL;
    ``related``: the load's related objects and canvases (none: no related objects, plot
    or whole image); ``interpretations``: shown when given (`interpretations_section`);
    ``analyses``: the runs that used the object (`analyses_section`), when given."""
    with speaking(language):
        related = related or Related({})
        collection, __, local_id = record["id"].removeprefix(OBJECT).partition("/")
        objects_url = page_url[: page_url.rindex("/objects/") + len("/objects/")]
        title = escape(label(record))
        identifiers = [
            f"{escape(i['content'])}{kinds(i)}"
            for i in record.get("identified_by", [])
            if i.get("type") == "Identifier"
        ]
        names = [
            f"{escape(n['content'])}{kinds(n)}"
            for n in record.get("identified_by", [])
            if n.get("type") == "Name"
        ]
        statements = [f"{escape(label(s))}{kinds(s)}" for s in record.get("referred_to_by", [])]
        places = [term(p) for p in record.get("part_of", [])]
        owners = [term(o) for o in record.get("current_owner", [])]
        groups = [term(g) for g in record.get("member_of", [])]
        plot = group_plot(collection, local_id, related, objects_url)
        source = [escape(label(s)) for s in record.get("subject_of", [])]
        iri = escape(record["id"])
        body = "".join(
            [
                f"<h1>{title}</h1>\n",
                "<p>"
                + _("IRI: %(iri)s; type %(type)s")
                % {"iri": f"<code>{iri}</code>", "type": escape(record["type"]) + kinds(record)}
                + "</p>\n",
                section(_("Names"), items(names)),
                section(_("Identifiers"), items(identifiers)),
                section(_("Production"), items(production(record))),
                section(_("Measurements"), measurement_table(measurements(record)) + plot),
                section(
                    _("Images"),
                    images(record, entry, iiif_url, related.canvases, interpretations or []),
                ),
                section(_("Statements"), items(statements)),
                section(_("Part of"), items(places)),
                section(_("Member of"), items(groups)),
                section(_("Current owner"), items(owners)),
                section(
                    _("Related objects"),
                    related_section(related, collection, local_id, objects_url, related_shown),
                ),
                section(_("Rights"), items(rights(record))),
                section(_("Source records"), items(source)),
                section(_("Cite this"), cite(record, entry, page_url)),
                section(
                    _("Interpretations"), interpretations_section(interpretations or [], page_url)
                ),
                section(
                    _("Analyses that used this object"),
                    analyses_section(analyses) if analyses is not None else "",
                ),
                section(
                    _("This object as data"),
                    items(
                        [
                            f'<a href="{escape(page_url)}?format=json-ld">Linked Art JSON-LD</a>',
                            f'<a href="{escape(page_url)}?format=turtle">Turtle</a>',
                        ]
                    ),
                ),
            ]
        )
        languages = language_links(page_url, language)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head>\n<body>\n"
        f'<p class="languages">{languages}</p>\n{body}</body>\n</html>\n'
    )
