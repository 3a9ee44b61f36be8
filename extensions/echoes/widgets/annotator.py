"""``Annotator``: an image with its annotations in a notebook; draw a rectangle to add one.

The browser side (annotator.js) draws the image, the outlines and the form, and sends
what the person did as a message: ``{"action": "save", "rect": ..., "display": ...,
"text": ..., "tags": ..., "motivation": ..., "visibility": ..., "id": null}``, or
``delete``/``accept``/``reject`` with an ``id``, or ``refresh``. This kernel side does
all HTTP through ``echoes.annotations.AnnotationClient`` (with the server's hub token)
and answers by updating the synced traits; the service's refusals show in ``status``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anywidget
import requests
import traitlets

from echoes.annotations import AnnotationClient, AnnotationServiceError, region
from echoes.annotations import client as default_client

from . import images, model

HERE = Path(__file__).parent


def hub_groups(token: str) -> list[str]:
    """The hub groups of the token's user, when the token may read them; else none."""
    api = os.environ.get("JUPYTERHUB_API_URL")
    if not api:
        return []
    reply = requests.get(
        f"{api.rstrip('/')}/user", headers={"Authorization": f"token {token}"}, timeout=30
    )
    return sorted(reply.json().get("groups") or []) if reply.status_code == 200 else []


class ServiceWidget(anywidget.AnyWidget):
    """What both widgets share: the client, the viewer, the status line and the actions."""

    #: {"kind": "ok" | "error", "text": ...}: the outcome of the last action.
    status = traitlets.Dict({"kind": "", "text": ""}).tag(sync=True)
    user = traitlets.Unicode("").tag(sync=True)
    visibilities = traitlets.List(traitlets.Unicode(), ["private", "public"]).tag(sync=True)
    motivations = traitlets.List(traitlets.Unicode(), list(model.MOTIVATIONS)).tag(sync=True)
    #: Seconds between refreshes the browser asks for while the widget is shown; 0: never.
    refresh_every = traitlets.Float(0).tag(sync=True)

    def _connect(self, client: AnnotationClient | None, groups: list[str] | None) -> None:
        self.client = client or default_client()
        self.user = self.client.whoami()
        if groups is None:
            groups = hub_groups(self.client.token)
        self.visibilities = ["private", "public", *(f"group:{g}" for g in groups)]
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: dict, _buffers: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        handler = getattr(self, f"_do_{action}", None) if isinstance(action, str) else None
        if handler is None:
            self.status = {"kind": "error", "text": f"unknown action {action!r}"}
            return
        self.act(lambda: handler(content))

    def act(self, step) -> bool:
        """Run ``step``, then refresh; a refusal or bad input goes to ``status``, not up."""
        try:
            done = step()
            self._load()
        except AnnotationServiceError as error:
            self.status = {"kind": "error", "text": f"The service refused: {error}"}
            return False
        except model.FormError as error:
            self.status = {"kind": "error", "text": str(error)}
            return False
        except requests.RequestException as error:
            self.status = {"kind": "error", "text": f"The service did not answer: {error}"}
            return False
        if done:  # a refresh leaves the last outcome (say, a refusal) in view
            self.status = {"kind": "ok", "text": done}
            self.send({"done": done})
        return True

    def refresh(self) -> None:
        """Fetch the annotations again (others' new ones appear)."""
        self.act(lambda: None)

    def _do_refresh(self, _content: dict) -> None:
        return None

    def _do_delete(self, content: dict) -> str:
        self.client.delete(str(content["id"]))
        return "deleted"

    def _load(self) -> None:
        raise NotImplementedError


class Annotator(ServiceWidget):
    """An image with its annotations; draw a rectangle, describe it, save.

    ``Annotator("images.coins")`` (a catalog entry), ``Annotator(reader)`` (its Intake
    reader), or ``Annotator(array_or_pil_or_path, canvas="https://...")``.
    """

    _esm = HERE / "annotator.js"
    _css = HERE / "widgets.css"

    image = traitlets.Bytes(b"").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
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
            refresh_every=refresh_every,
        )
        self.canvas = picture.canvas
        self._connect(client, groups)
        self.refresh()

    @property
    def canvas_id(self) -> str:
        return self.canvas["id"]

    def _load(self) -> None:
        found = self.client.search(self.canvas_id)
        mine = self.client.search(creator=self.user, motivation="assessing")
        self.shapes = model.shapes(found, self.user, self.width, self.height, model.verdicts(mine))

    def _do_save(self, content: dict) -> str:
        args = model.annotation_args(content, self.visibilities)
        target = None
        if content.get("rect"):
            box = model.to_image_rect(content["rect"], content.get("display") or {}, *self.size)
            target = region(self.canvas, *box)
        if content.get("id"):
            self.client.update(model.edited(self.client.get(content["id"]), args, target))
            return "saved your changes"
        if target is None:
            raise model.FormError("draw a rectangle on the image first")
        self.client.annotate(target, **args)
        return "saved"

    def _do_accept(self, content: dict) -> str:
        self.client.accept(str(content["id"]), content.get("note") or None)
        return "accepted"

    def _do_reject(self, content: dict) -> str:
        self.client.reject(str(content["id"]), content.get("note") or None)
        return "rejected"

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height
