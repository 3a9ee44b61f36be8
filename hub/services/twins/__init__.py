"""The digital twins as a graph and as pages: a managed service on the service base.

Under /services/twins/ (and at twins--service.<domain>, the origin browsers use):

- ``sparql``: the SPARQL 1.1 protocol (GET ``?query=``, POST form or
  ``application/sparql-query``) over the twins the data build wrote (``<data>/twins/``,
  catalogs/twins.py), each collection in its own named graph as built. Read-only; every
  query runs in a worker process that is killed past `TwinsService.query_timeout`.
- ``objects/<collection>/<id>``: one object, the same IRI ``urn:echoes:object:<collection>/
  <id>`` as HTML, Linked Art JSON-LD or Turtle, by ``Accept`` (or ``?format=``);
  ``objects/<collection>/<id>/interpretations``: what the public annotations about it say.
- ``objects/<collection>/<id>/manifest.json``: the IIIF manifest of an object shown in an
  image, ``iiif/collection.json`` a collection of them all (`manifests`).
- ``oai``: an OAI-PMH 2.0 provider of the twins (``oai_dc`` and EDM, a set per
  collection) and of the public interpretations (`oai`, `provider`, `crosswalk`).
- ``harvest``: the administrators' sources page, its JSON and "Harvest now"
  (`harvesting`); the harvests in (`harvest`) run in the service on their schedule.

The public annotations about objects come from the annotation service's change feed
(`follow`), each as a nanopublication in the graph (`interpretations`, `commons`).

Every read is anonymous and open to any origin (CORS ``*``, never with credentials), as
the IIIF service's: the shared data are open data. `store` is the core (loading, the
default-graph rule, the reload when the data build changes), `workers` the query
processes and their timeout, `pages` the HTML (with `plot`, its SVG, and `related`, the
related objects of a load), `handlers` the route table, `app` the process.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Config

from ...deployment import Deployment
from ..base.settings import ServiceSettings, service_entry

NAME = "twins"


class TwinsService(ServiceSettings):
    """Settings of the twins service (`c.TwinsService.<name>`). Its port, unless set here,
    is a free one the hub picks once and keeps in its state folder (hub/prepare.py)."""

    name: ClassVar[str] = NAME
    module: ClassVar[str] = "echoes_hub.services.twins"

    query_timeout = Float(
        10.0,
        min=0.1,
        config=True,
        help="""Seconds a SPARQL query (or an object's Turtle) may run, serialisation of
        its results included. Past it the worker process running it is killed and
        replaced (pyoxigraph has no timeout of its own) and the request gets 503 with a
        JSON error saying so.""",
    )

    query_workers = Integer(
        2,
        min=1,
        config=True,
        help="""Worker processes that run queries, each with the store open read-only.
        As many queries run at once; more wait for a free worker. A long query holds
        one worker at most `query_timeout` seconds.""",
    )

    oxigraph_url = Unicode(
        "",
        config=True,
        help="""The Oxigraph server (`oxigraph serve`, its root URL, e.g.
        http://127.0.0.1:7878/) that holds the graph, for a graph larger than the service
        should hold itself: the service loads each build into it (a PUT per graph), writes
        the interpretations as SPARQL updates and forwards queries, with the same routes,
        rules and errors. Start the server with --timeout-s as `query_timeout`. The service
        must be the server's only writer. Empty (the default): the embedded pyoxigraph
        store in the hub's state folder.""",
    )

    publish_interval = Float(
        1.0,
        min=0.0,
        config=True,
        help="""Most seconds between two snapshots of the graph that queries read: new
        public annotations reach SPARQL that much after the service took them (their
        object pages and JSON at once). Each snapshot is a checkpoint of the store (hard
        links: milliseconds); the query workers move to it between two queries.""",
    )

    reload_check = Float(
        5.0,
        min=0.1,
        config=True,
        help="""Seconds between two looks at the data folder's build stamp (BUILD.json):
        when its fingerprint changes, the twins are loaded into a fresh store, which
        then replaces the old one whole (readers never see half a load).""",
    )

    related_shown = Integer(
        24,
        min=1,
        config=True,
        help="""Links an object's page shows per group of related objects (the same artist,
        kiln, school, epoch, place or photograph); the page says how many more there are
        (a Tate artist has up to 154 works).""",
    )

    page_frame_ancestors = Unicode(
        "*",
        config=True,
        help="""Who may frame an object's page (its CSP `frame-ancestors`): JupyterLab's
        "Open digital twin" panel shows it in a frame, from the user's own host. Any
        page by default: an object's page is anonymous open data, read with no cookie or
        token and with nothing to click that acts for the reader (its Agree, Contest and
        Reply open the annotation service's form in a tab of its own, where the reader
        confirms), so a page that frames it learns and can do nothing that it could not
        by fetching it. Narrow it to the
        hub's hosts with e.g. "http://localhost:8000 http://*.localhost:8000"; "'none'"
        forbids framing (and the panel). Every other answer of the service is never framed.""",
    )

    oai_page_size = Integer(
        200,
        min=1,
        config=True,
        help="""Records (or identifiers) per answer of the OAI-PMH provider (``oai``); a
        longer list ends with a resumption token for the next page.""",
    )

    oai_repository_name = Unicode(
        "ECHOES VRE: digital twins and their public interpretations",
        config=True,
        help="The repository's name in the OAI-PMH provider's Identify answer.",
    )

    oai_admin_email = Unicode(
        "root@localhost",
        config=True,
        help="""The address the OAI-PMH provider's Identify answer gives harvesters to
        write to (the protocol requires one): set it to the deployment's contact.""",
    )

    harvest_timeout = Float(
        30.0,
        min=1.0,
        config=True,
        help="""Seconds one answer of a harvested source may take (`echoes harvest run`,
        its --timeout): past it the source's harvest stops with that reason and what was
        harvested before is kept.""",
    )

    harvest_check = Float(
        60.0,
        min=0.5,
        config=True,
        help="""Seconds between two looks at the harvest's sources for those whose schedule
        (hourly, daily, weekly: `echoes harvest add --schedule`) says they are due; the
        service harvests them one at a time, as the sources page's "Harvest now".""",
    )

    harvest_max_bytes = Integer(
        50 * 1024 * 1024,
        min=1024,
        config=True,
        help="""Bytes one answer of a harvested source may have (`echoes harvest run`, its
        --max-bytes): a larger answer stops the source's harvest.""",
    )

    contribute_max_rows = Integer(
        200_000,
        min=1,
        config=True,
        help="""Rows a contributed sheet may have (`echoes contribute check` and `publish`,
        their --max-rows): a longer sheet is refused whole, with a message.""",
    )

    contributors_group = Unicode(
        "institutions",
        config=True,
        help="""The hub group whose members may contribute collections with the twins
        service's wizard (`.../services/twins/contribute`), besides the administrators.""",
    )

    moderate_contributions = Bool(
        False,
        config=True,
        help="""Whether an administrator reviews each contribution of the wizard before it
        is published: a contributor's publish then submits the draft, and the
        administrators publish it or send it back with a reason.""",
    )

    contribute_max_bytes = Integer(
        20 * 1024 * 1024,
        min=1024,
        config=True,
        help="""Bytes a sheet uploaded to the contribution wizard may have (a larger
        upload is refused with 413).""",
    )

    contribute_max_unpacked_bytes = Integer(
        500 * 1024 * 1024,
        min=1024,
        config=True,
        help="""Bytes the photographs of one zip uploaded to the contribution wizard may
        have once unpacked (a larger zip is refused whole, naming it).""",
    )

    contribute_max_image_bytes = Integer(
        50 * 1024 * 1024,
        min=1024,
        config=True,
        help="""Bytes one contributed photograph may have (`echoes contribute`): a larger
        file is a problem of its row, and nothing is published.""",
    )


def object_page(public_url: str, collection: str, local_id: str) -> str:
    """An object's page (``objects/<collection>/<id>``) under the service's ``public_url``,
    each part escaped: what the service links and the harvested catalog lists."""
    return f"{public_url}objects/{quote(collection, safe='')}/{quote(local_id, safe='')}"


#: What users' tokens (and their servers') need: the reads are anonymous, the
#: contribution wizard is not (contributing.py).
USER_SCOPES = ["access:services!service=twins"]


def twins_service(
    c: Config, deployment: Deployment, annotations_url: str
) -> tuple[dict, list[str]]:
    """The managed-service entry for the hub and the scopes users need;
    ``annotations_url``: where it reads the annotation service's change feed."""
    settings = deployment.settings
    options = TwinsService(config=c)
    environment = {
        "ECHOES_DATA_DIR": settings.data_dir,
        # The store is the hub's: in its state folder, which users cannot read.
        "ECHOES_TWINS_STORE_DIR": str(settings.state_path / "twins"),
        # What `echoes harvest` brought in (harvest/): the hub's too.
        "ECHOES_TWINS_HARVEST_DIR": str(settings.state_path / "harvest"),
        # ... and their catalog, which users read (harvest/catalog.py).
        "ECHOES_HARVESTED_DIR": settings.harvested_dir,
        # Where browsers see the objects' images.
        "ECHOES_IIIF_PUBLIC_URL": settings.service_public_url("iiif"),
        "ECHOES_ANNOTATIONS_URL": annotations_url,
        # Where browsers read the annotations the objects' manifests link to.
        "ECHOES_ANNOTATIONS_PUBLIC_URL": settings.service_public_url("annotations"),
    }
    entry = service_entry(
        options, deployment, default_port=settings.port + 7, environment=environment
    )
    return entry, USER_SCOPES
