"""``AnnotationTable``: a pandas DataFrame, a page at a time, with its row annotations;
tick rows and annotate them.

Row n is the DataFrame's n-th row (by position, counting from 1 as RFC 7111 does; the
header is not a row). Ticked rows become one annotation whose targets are
``echoes.annotations.table_row`` runs of consecutive rows. The browser (table.js) sends
``{"action": "save", "rows": [...], "text": ..., ...}``, ``page`` or ``refresh``.
"""

from __future__ import annotations

import re
from typing import Any

import traitlets

from echoes.annotations import AnnotationClient, entry_item

from . import model
from .base import HERE, ServiceWidget

PAGE_SIZE = 20
CELL_CHARS = 60
_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def source_iri(source: str) -> str:
    """An IRI as given, or the catalog item of a ``theme.entry`` name."""
    if _IRI.match(source):
        return source
    return entry_item(source)


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


class AnnotationTable(ServiceWidget):
    """Rows of ``frame`` with their annotations; ``source`` is the table's IRI or its
    catalog entry (``"archaeometry.pottery"``)."""

    _esm = HERE / "table.js"
    _css = HERE / "widgets.css"

    source = traitlets.Unicode("").tag(sync=True)
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: The rows of the page shown: {"row": n, "cells": [...], "notes": [...]}.
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    pages = traitlets.Int(1).tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)

    def __init__(
        self,
        frame: Any,
        source: str,
        *,
        client: AnnotationClient | None = None,
        groups: list[str] | None = None,
        page_size: int = PAGE_SIZE,
        refresh_every: float = 0,
    ) -> None:
        super().__init__(
            source=source_iri(source),
            columns=[str(c) for c in frame.columns],
            total=len(frame),
            pages=max(1, -(-len(frame) // page_size)),
            refresh_every=refresh_every,
        )
        self.frame = frame
        self.page_size = page_size
        self.notes: dict[int, list] = {}
        self._connect(client, groups)
        self.refresh()

    def _load(self) -> None:
        found = self.client.search(self.source)
        self.notes = model.row_notes(found, self.source, self.total, self.user)
        self._show_page()

    def _show_page(self) -> None:
        start = self.page * self.page_size
        shown = self.frame.iloc[start : start + self.page_size]
        self.rows = [
            {
                "row": start + i + 1,
                "cells": [cell(v) for v in values],
                "notes": self.notes.get(start + i + 1, []),
            }
            for i, values in enumerate(shown.itertuples(index=False, name=None))
        ]

    def _do_page(self, content: dict) -> None:
        page = int(content.get("page", 0))
        self.page = min(max(page, 0), self.pages - 1)

    def _do_save(self, content: dict) -> str:
        args = model.annotation_args(content, self.visibilities)
        rows = [int(r) for r in content.get("rows") or []]
        if any(r > self.total for r in rows):
            raise model.FormError(f"the table has {self.total} rows")
        targets = model.row_targets(self.source, rows)
        self.client.annotate(targets if len(targets) > 1 else targets[0], **args)
        return f"saved on {len(rows)} row{'s' if len(rows) != 1 else ''}"
