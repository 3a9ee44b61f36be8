"""Server sizes (profiles): validation, the spawn form and reading the user's choice."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from echoes_hub.spawners.docker import EchoesDockerSpawner
from echoes_hub.spawners.profiles import (
    DEFAULT_PROFILES,
    ProfileError,
    choose,
    parse_profile,
    parse_profiles,
    read_form,
    render_form,
)


def test_default_profiles_offer_standard_and_workshop_sizes() -> None:
    profiles = parse_profiles(DEFAULT_PROFILES)
    assert [p.slug for p in profiles] == ["standard", "workshop"]
    standard, workshop = profiles
    assert standard.mem_limit == 2 * 1024**3
    assert workshop.mem_limit == 1024**3
    assert workshop.cpu_limit < standard.cpu_limit


def test_memory_accepts_suffixes_and_bytes() -> None:
    assert parse_profile({"slug": "s", "cpu_limit": 1, "mem_limit": "512M"}).mem_limit == 2**29
    assert parse_profile({"slug": "s", "cpu_limit": 1, "mem_limit": 1000}).mem_limit == 1000


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"slug": "Big!", "cpu_limit": 1, "mem_limit": "1G"}, "must match"),
        ({"slug": "big", "mem_limit": "1G"}, "needs 'cpu_limit'"),
        ({"slug": "big", "cpu_limit": 1, "mem_limit": "lots"}, "big"),
        ({"slug": "big", "cpu_limit": 0, "mem_limit": "1G"}, "must be positive"),
        ({"slug": "big", "cpu_limit": 1, "mem_limit": "1G", "gpu": 1}, "unknown keys ['gpu']"),
        ("big", "must be a dict"),
    ],
)
def test_bad_profiles_are_refused_with_the_reason(spec: object, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(spec)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_a_list_needs_unique_slugs_and_at_least_one_profile() -> None:
    with pytest.raises(ProfileError, match="repeated"):
        parse_profiles([DEFAULT_PROFILES[0], DEFAULT_PROFILES[0]])
    with pytest.raises(ProfileError, match="at least one"):
        parse_profiles([])


def test_the_form_offers_every_profile_and_checks_the_first() -> None:
    form = render_form(parse_profiles(DEFAULT_PROFILES))
    assert form.count('type="radio" name="profile"') == 2
    assert 'value="standard" checked' in form
    assert 'value="workshop">' in form


def test_the_form_escapes_html_in_descriptions() -> None:
    spec = {"slug": "x", "description": "<script>", "cpu_limit": 1, "mem_limit": "1G"}
    assert "<script>" not in render_form(parse_profiles([spec]))


def test_the_answer_is_read_back_and_unknown_choices_are_refused() -> None:
    profiles = parse_profiles(DEFAULT_PROFILES)
    assert read_form(profiles, {"profile": ["workshop"]}) == {"profile": "workshop"}
    assert read_form(profiles, {}) == {"profile": "standard"}
    assert choose(profiles, None).slug == "standard"
    with pytest.raises(ProfileError, match="unknown profile 'huge'; choose one of: standard"):
        read_form(profiles, {"profile": ["huge"]})


def test_the_spawner_refuses_bad_profiles_in_configuration() -> None:
    with pytest.raises(TraitError, match=r"EchoesDockerSpawner.profiles: .*needs 'mem_limit'"):
        EchoesDockerSpawner(profiles=[{"slug": "big", "cpu_limit": 2}])
