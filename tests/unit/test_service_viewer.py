"""The one `Viewer` of the managed services (hub/services/viewer.py): who asks."""

from __future__ import annotations

import pytest

from echoes_hub.services.annotations.permissions import Viewer as AnnotationsViewer
from echoes_hub.services.apps.model import ANONYMOUS
from echoes_hub.services.apps.model import Viewer as AppsViewer
from echoes_hub.services.viewer import Viewer


def test_both_services_use_the_same_viewer():
    assert AnnotationsViewer is AppsViewer is Viewer


def test_a_hub_user_model_becomes_a_viewer():
    user = {"name": "ann", "admin": True, "groups": ["conservators"], "kind": "user"}
    assert Viewer.of(user) == Viewer("ann", admin=True, groups=frozenset({"conservators"}))
    assert Viewer.of({"name": "bob", "groups": None}) == Viewer("bob")


def test_the_flags_are_named_so_they_cannot_be_swapped():
    with pytest.raises(TypeError):
        Viewer("ann", True)  # type: ignore[misc]


def test_anonymous_has_no_name():
    assert ANONYMOUS.anonymous and not Viewer("ann").anonymous
