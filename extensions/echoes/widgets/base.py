"""What both notebook widgets share: the annotation client, the viewer, the status line,
and one entry point for the messages their browser side sends (``{"action": ...}``).

An action runs in the kernel and ends with a fresh load of the annotations. The service's
refusals, bad input and an unreachable service end in ``status`` (shown in the widget),
never in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from echoes.annotations import AnnotationClient, AnnotationServiceError
from echoes.annotations import client as default_client
from echoes.hub import ServiceUnavailable

from . import model

HERE = Path(__file__).parent


class ServiceWidget(anywidget.AnyWidget):
    """What both widgets share: the client, the viewer, the status line and the actions."""

    #: {"kind": "ok" | "error", "text": ...}: the outcome of the last action.
    status = traitlets.Dict({"kind": "", "text": ""}).tag(sync=True)
    user = traitlets.Unicode("").tag(sync=True)
    visibilities = traitlets.List(traitlets.Unicode(), ["private", "public"]).tag(sync=True)
    motivations = traitlets.List(traitlets.Unicode(), list(model.MOTIVATIONS)).tag(sync=True)
    #: The groups annotations are shown in, in order: [{"key": ..., "label": ...}].
    legend = traitlets.List(
        traitlets.Dict(), [{"key": g["key"], "label": g["label"]} for g in model.RULES["groups"]]
    ).tag(sync=True)
    #: Seconds between refreshes the browser asks for while the widget is shown; 0: never.
    refresh_every = traitlets.Float(0).tag(sync=True)

    def _connect(self, client: AnnotationClient | None, groups: list[str] | None) -> None:
        self.client = client or default_client()
        # Who the viewer is and their groups, as the hub tells the client's token.
        me = self.client.hub.identity(self.client.session)
        self.user = me.name
        if groups is None:
            groups = me.groups
        self.visibilities = ["private", "public", *(f"group:{g}" for g in groups)]
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: dict, _buffers: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        handler = getattr(self, f"_do_{action}", None) if isinstance(action, str) else None
        if handler is None:
            self.status = {"kind": "error", "text": f"unknown action {action!r}"}
            return
        self.act(lambda: handler(content))

    def act(self, step: Callable[[], str | None]) -> bool:
        """Run ``step``, then load the annotations again; a refusal, bad input or an
        unreachable service goes to ``status`` instead of raising. ``step`` returns what
        to tell the person, or None to leave the last outcome (say, a refusal) in view."""
        try:
            done = step()
            self._load()
        except AnnotationServiceError as error:
            return self._failed(f"The service refused: {error}")
        except model.FormError as error:
            return self._failed(str(error))
        except ServiceUnavailable as error:
            return self._failed(f"The service did not answer: {error}")
        except (KeyError, TypeError, ValueError) as error:
            # A message the browser side should not have sent; say so, keep the kernel.
            return self._failed(f"The widget sent a bad request: {error!r}")
        if done:
            self.status = {"kind": "ok", "text": done}
            self.send({"done": done})
        return True

    def _failed(self, text: str) -> bool:
        self.status = {"kind": "error", "text": text}
        return False

    def refresh(self) -> None:
        """Fetch the annotations again (others' new ones appear)."""
        self.act(lambda: None)

    def _do_refresh(self, _content: dict) -> None:
        return None

    def _do_delete(self, content: dict) -> str:
        self.client.delete(str(content["id"]))
        return "deleted"

    def _load(self) -> None:
        """Fetch what the widget shows from the service (each widget says what)."""
        raise NotImplementedError
