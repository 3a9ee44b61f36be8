"""Container and volume names stay as they are: a user's home volume is found by its name,
so a change of escaping would give existing users an empty home. Real spawner objects
render the names (no engine needed); the expected names are written out literally."""

from __future__ import annotations

import pytest
from jupyterhub import orm

from echoes_hub.services.apps.containers import container_name
from echoes_hub.spawners.docker import DEFAULT_HOME_VOLUME, EchoesDockerSpawner, home_volume_name

#: user name -> how it appears in container and volume names ("-" is "-2d", so "--" is free
#: to separate a user from a server, and an app's author from the app).
NAMES = {
    "alice": "alice",
    "1985": "1985",
    "bob-smith": "bob-2dsmith",
    "x--y": "x-2d-2dy",
    "ann_b": "ann-5fb",
    "Anna.Müller@uni.example": "-41nna-2e-4d-c3-bcller-40uni-2eexample",
    "Zoë O'Brien": "-5ao-c3-ab-20-4f-27-42rien",
}


@pytest.mark.parametrize(("user", "escaped"), NAMES.items())
def test_container_and_home_volume_names_are_unchanged(user: str, escaped: str) -> None:
    person = orm.User(name=user)
    default = EchoesDockerSpawner(user=person, orm_spawner=orm.Spawner(name="", user=person))
    named = EchoesDockerSpawner(user=person, orm_spawner=orm.Spawner(name="Lab-1", user=person))
    assert default.object_name == f"echoes-{escaped}"
    assert named.object_name == f"echoes-{escaped}--lab-2d1"
    assert list(default.volume_binds) == list(named.volume_binds) == [f"echoes-home-{escaped}"]
    # The workshops service finds the same volume by the same rule (workshops/homes.py).
    assert home_volume_name(DEFAULT_HOME_VOLUME, "echoes", user) == f"echoes-home-{escaped}"


@pytest.mark.parametrize(("user", "escaped"), NAMES.items())
def test_app_container_names_are_unchanged(user: str, escaped: str) -> None:
    assert container_name("echoes", user, "my-app") == f"echoes-app-{escaped}--my-2dapp"
