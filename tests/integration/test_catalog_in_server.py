"""In a real spawned user server, a kernel finds and reads the shared heritage data.

The hub's default data folder (heritage/ in its state folder) is built by the recipe; the
user's server runs as its own system user when the tests run as root.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.hubclient import Kernel

pytestmark = pytest.mark.shared_hub

AS_ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def heritage_hub(hub, data):
    return hub


@pytest.mark.slow
def test_a_kernel_opens_the_catalog_and_reads_a_table(heritage_hub, new_user):
    person = new_user("cat-alice")
    person.start_server()
    with Kernel(person.server_url(), person.new_token()) as kernel:
        out = kernel.execute(
            "import json, getpass, echoes\n"
            "cat = echoes.catalog()\n"
            "pots = cat.archaeometry.read().pottery_kilns.read()\n"
            "hits = echoes.search('coins pompeii')\n"
            "print(json.dumps({'themes': sorted(cat.entries), 'rows': len(pots),\n"
            "    'sites': sorted(set(pots['site'])), 'hits': sorted(hits.entries),\n"
            "    'user': getpass.getuser()}))"
        )
        result = json.loads(out.strip().splitlines()[-1])
        assert result["themes"] == ["archaeometry", "collections", "environment", "images", "sites"]
        assert result["rows"] == 48 and len(result["sites"]) == 5
        assert result["hits"] == ["images.coins", "images.coins_manifest"]
        if AS_ROOT:
            assert result["user"] == f"echoes-{person.name}"
        coins = kernel.execute("print(echoes.catalog().images.read().coins.read().shape)")
        assert coins.strip() == "(303, 384)"
