"""``Annotator``: an image with its annotations in a notebook; draw a rectangle or a
polygon to add one, move or resize yours.

The browser side (static/annotator.js, bundled from extensions/labextension/src/widget.ts
with OpenSeadragon and Annotorious) shows the image, the shapes and the form, and sends
what the person did as a message: ``{"action": "save", "region": {"kind": "rect", "x":
..., "y": ..., "w": ..., "h": ...} or {"kind": "polygon", "points": [[x, y], ...]}`` (image
pixels), ``"text": ..., "tags": ..., "motivation": ..., "visibility": ..., "id": null}``, or
``delete``/``accept``/``reject`` with an ``id``, ``reply`` with an ``id`` and a ``text``, or
``refresh``. This kernel side does
all HTTP through ``echoes.annotations.AnnotationClient`` (with the server's hub token)
and answers by updating the synced traits; the service's refusals show in ``status``.
"""

from __future__ import annotations

from typing import Any

import traitlets

from echoes.annotations import AnnotationClient

from . import images, model
from .base import HERE, ServiceWidget


class Annotator(ServiceWidget):
    """An image with its annotations; draw a rectangle or polygon, describe it, save.

    ``Annotator("images.coins")`` (a catalog entry), ``Annotator(reader)`` (its Intake
    reader), or ``Annotator(array_or_pil_or_path, canvas="https://...")``.
    """

    # Built by the extension's build (make install); its libraries' licences beside it.
    _esm = HERE / "static" / "annotator.js"
    _css = HERE / "static" / "annotator.css"

    image = traitlets.Bytes(b"").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    #: The canvas IRI the regions' selectors are of.
    source = traitlets.Unicode("").tag(sync=True)
    #: The annotations as drawn (see ``model.shapes``).
    shapes = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(
        self,
        image: Any,
        *,
        canvas: str | dict | None = None,
        title: str = "",
        client: AnnotationClient | None = None,
        groups: list[str] | None = None,
        refresh_every: float = 0,
    ) -> None:
        picture = images.picture(image, canvas, title)
        if picture.canvas is None:
            raise ValueError(
                "annotations need an IRI for this image: pass canvas='https://...' or 'urn:...'"
            )
        super().__init__(
            image=picture.png,
            width=picture.width,
            height=picture.height,
            title=picture.title,
            source=picture.canvas["id"],
            refresh_every=refresh_every,
        )
        self.canvas = picture.canvas
        #: The viewer's verdicts on proposals; None until read (see ``_load``).
        self._judged: dict[str, str] | None = None
        self._connect(client, groups)
        self.refresh()

    @property
    def canvas_id(self) -> str:
        return self.canvas["id"]

    def _load(self) -> None:
        found = self.client.search(self.canvas_id)
        # Only the viewer's own verdicts show: read when proposals first show and after
        # each Accept or Reject here, not on every refresh (as the JupyterLab view).
        if self._judged is None and any(model.group_of(a, self.user) == "software" for a in found):
            mine = self.client.search(creator=self.user, motivation=model.ASSESSING)
            self._judged = model.verdicts(mine, self.user)
        # Replies target annotations, not the canvas: those the viewer may read, of these.
        shown = {a.get("id") for a in found}
        replies = [
            r for r in self.client.search(motivation=model.REPLYING) if r.get("target") in shown
        ]
        self.shapes = model.shapes(found, self.user, self.width, self.height, self._judged, replies)

    def _do_save(self, content: dict) -> str:
        args = model.annotation_args(content, self.visibilities)
        target = None
        if content.get("region"):
            target = model.region_target(self.canvas, content["region"], *self.size)
        if content.get("id"):
            self.client.update(model.edited(self.client.get(content["id"]), args, target))
            return "saved your changes"
        if target is None:
            raise model.FormError("draw a rectangle or a polygon on the image first")
        self.client.annotate(target, **args)
        return "saved"

    def _do_reply(self, content: dict) -> str:
        text = str(content.get("text") or "").strip()
        if not text:
            raise model.FormError("write your reply first")
        if len(text) > model.MAX_TEXT:
            raise model.FormError(f"the reply is longer than {model.MAX_TEXT} characters")
        self.client.reply(str(content["id"]), text)
        return "replied"

    def _do_accept(self, content: dict) -> str:
        self.client.accept(str(content["id"]), content.get("note") or None)
        self._judged = None
        return "accepted"

    def _do_reject(self, content: dict) -> str:
        self.client.reject(str(content["id"]), content.get("note") or None)
        self._judged = None
        return "rejected"

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height
