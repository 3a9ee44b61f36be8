"""Server sizes that users choose from on the spawn page.

A profile is a named size (CPU and memory limits) that a spawner applies when it
starts a server. This module knows nothing of Docker: it validates profiles,
renders the choice as an HTML form and reads the user's answer back, so that any
spawner can offer the same choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from jupyterhub.traitlets import ByteSpecification
from traitlets import TraitError

#: Profile slugs appear in forms, API bodies and logs: keep them plain.
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,29}$")

#: The sizes offered when a deployment configures none.
DEFAULT_PROFILES: list[dict] = [
    {
        "slug": "standard",
        "display_name": "Standard",
        "description": "1 CPU, 2 GB of memory: everyday analysis.",
        "cpu_limit": 1.0,
        "mem_limit": "2G",
    },
    {
        "slug": "workshop",
        "display_name": "Workshop",
        "description": "half a CPU, 1 GB of memory: many participants on one machine.",
        "cpu_limit": 0.5,
        "mem_limit": "1G",
    },
]


class ProfileError(ValueError):
    """A profile definition or a user's choice that cannot be used; the message says why."""


@dataclass(frozen=True)
class Profile:
    slug: str
    display_name: str
    description: str
    cpu_limit: float
    mem_limit: int  # bytes


def parse_profile(spec: dict) -> Profile:
    """Validate one profile given as a dict (as in configuration) and return it."""
    if not isinstance(spec, dict):
        raise ProfileError(f"a profile must be a dict, not {spec!r}")
    unknown = set(spec) - {"slug", "display_name", "description", "cpu_limit", "mem_limit"}
    if unknown:
        raise ProfileError(f"profile {spec.get('slug')!r}: unknown keys {sorted(unknown)}")
    slug = spec.get("slug", "")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise ProfileError(f"profile slug {slug!r} must match {SLUG_PATTERN.pattern}")
    try:
        cpu = float(spec["cpu_limit"])
        memory = ByteSpecification().validate(None, spec["mem_limit"])
    except KeyError as missing:
        raise ProfileError(f"profile {slug!r} needs {missing.args[0]!r}") from None
    except (TypeError, ValueError, TraitError) as error:
        raise ProfileError(f"profile {slug!r}: {error}") from None
    if cpu <= 0 or memory <= 0:
        raise ProfileError(f"profile {slug!r}: cpu_limit and mem_limit must be positive")
    return Profile(
        slug=slug,
        display_name=str(spec.get("display_name") or slug),
        description=str(spec.get("description", "")),
        cpu_limit=cpu,
        mem_limit=int(memory),
    )


def parse_profiles(specs: list[dict]) -> list[Profile]:
    """Validate a list of profiles: at least one, slugs unique."""
    profiles = [parse_profile(spec) for spec in specs]
    if not profiles:
        raise ProfileError("at least one profile is needed")
    slugs = [p.slug for p in profiles]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise ProfileError(f"profile slugs must be unique; repeated: {duplicates}")
    return profiles


def choose(profiles: list[Profile], slug: str | None) -> Profile:
    """The profile named ``slug``, the first one when none is named."""
    if not slug:
        return profiles[0]
    for profile in profiles:
        if profile.slug == slug:
            return profile
    known = ", ".join(p.slug for p in profiles)
    raise ProfileError(f"unknown profile {slug!r}; choose one of: {known}")


def render_form(profiles: list[Profile]) -> str:
    """The spawn page's choice: one radio button per profile, the first one checked."""
    items = []
    for index, p in enumerate(profiles):
        checked = " checked" if index == 0 else ""
        items.append(
            '<div class="radio"><label>'
            f'<input type="radio" name="profile" value="{escape(p.slug)}"{checked}> '
            f"<strong>{escape(p.display_name)}</strong> {escape(p.description)}"
            "</label></div>"
        )
    return (
        '<fieldset class="echoes-profiles"><legend>Server size</legend>'
        + "".join(items)
        + "</fieldset>"
    )


def read_form(profiles: list[Profile], formdata: dict[str, list[str]]) -> dict:
    """User options from the submitted spawn form (values arrive as lists)."""
    slug = (formdata.get("profile") or [""])[0]
    return {"profile": choose(profiles, slug).slug}
