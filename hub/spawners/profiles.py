"""Server sizes that users choose from on the spawn page.

A profile is a named size (CPU and memory limits) that a spawner applies when it
starts a server. This module knows nothing of Docker or cgroups: it validates
profiles, renders the choice as an HTML form, reads the user's answer back and holds
the one rule of which size a server gets (`apply_profile`), so that both spawners
(`ServerProfiles`, mixed into each) offer the same choice and give the same size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from jupyterhub.traitlets import ByteSpecification
from tornado import web
from traitlets import Dict, List, TraitError, default, validate
from traitlets.config import Configurable

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


def render_form(profiles: list[Profile], note: str = "") -> str:
    """The spawn page's choice: one radio button per profile, the first one checked, and
    a note below them (e.g. that limits are not enforced here)."""
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
        + (f'<p class="echoes-limits">{escape(note)}</p>' if note else "")
        + "</fieldset>"
    )


def read_form(profiles: list[Profile], formdata: dict[str, list[str]]) -> dict:
    """User options from the submitted spawn form (values arrive as lists)."""
    slug = (formdata.get("profile") or [""])[0]
    return {"profile": choose(profiles, slug).slug}


class ServerProfiles(Configurable):
    """The sizes a spawner offers and applies (mixed into both spawners)."""

    profiles = List(
        Dict(),
        default_value=DEFAULT_PROFILES,
        config=True,
        help="""Server sizes users choose from on the spawn page, first one the default.
        Each is a dict with `slug` (lower-case name, used in API calls as
        {"profile": slug}), `display_name`, `description`, `cpu_limit` (CPUs, a float)
        and `mem_limit` (bytes, or a string such as "2G"). The chosen profile sets the
        server's CPU quota and memory limit: the container's, or the cgroup of a local
        server (EchoesLocalSpawner.cgroup_parent). Attendees of a workshop get their
        event's CPU and memory instead, and no choice. Default: standard (1 CPU, 2 GB)
        and workshop (0.5 CPU, 1 GB).""",
    )

    @validate("profiles")
    def _valid_profiles(self, proposal: dict) -> list[dict]:
        try:
            parse_profiles(proposal["value"])
        except ProfileError as error:
            raise TraitError(f"{type(self).__name__}.profiles: {error}") from None
        return proposal["value"]

    @property
    def parsed_profiles(self) -> list[Profile]:
        return parse_profiles(self.profiles)

    def limits_note(self) -> str:
        """What the spawn page says below the sizes ("" when the limits hold)."""
        return ""

    @default("options_form")
    def _default_options_form(self):
        return profile_form

    @default("options_from_form")
    def _default_options_from_form(self):
        return lambda formdata: read_form(self.parsed_profiles, formdata)

    @default("apply_user_options")
    def _default_apply_user_options(self):
        return apply_profile


def profile_form(spawner) -> str:
    """The spawn page's form: the sizes to choose from, none for an attendee (their event
    decides) or when there is only one."""
    profiles = spawner.parsed_profiles
    if len(profiles) < 2 or event_profile(spawner) is not None:
        return ""
    return render_form(profiles, spawner.limits_note())


def event_profile(spawner) -> Profile | None:
    """The size of an attendee's server, from their event (the authenticator knows the
    workshops' store); None for everyone else."""
    lookup = getattr(spawner.authenticator, "event_profile", None)
    return lookup(spawner.user.name) if lookup else None


def server_profile(spawner, user_options: dict) -> Profile:
    """The one rule of both spawners: an attendee's server gets their event's size,
    anyone else's the profile chosen (the first when none is)."""
    return event_profile(spawner) or choose(spawner.parsed_profiles, user_options.get("profile"))


def apply_profile(spawner, user_options: dict) -> None:
    """Set the server's limits (Spawner.mem_limit, cpu_limit) at each spawn; an unknown
    profile is an HTTP 400."""
    try:
        profile = server_profile(spawner, user_options)
    except ProfileError as error:
        raise web.HTTPError(400, str(error)) from None
    spawner.mem_limit = profile.mem_limit
    spawner.cpu_limit = profile.cpu_limit
    spawner.log.info(
        "Server of %s gets profile %s (%.2g CPU, %d MiB)",
        spawner.user.name,
        profile.slug,
        profile.cpu_limit,
        profile.mem_limit // 2**20,
    )
