"""The IIIF service (hub/services/iiif/) through the real hub and proxy: the Image API of
every image of the shared data, the manifests with their image services and the live
AnnotationPages of the public annotations, all read anonymously from any origin; and the
official IIIF Image API validator against the service's own process.

Times are measured and printed (run with -s to see them), never asserted.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from PIL import Image

from tests.hubclient import free_port_block, wait_for
from tests.integration.annotations_support import MEDIA_TYPE, new_person, wait_for_service

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

REPO = Path(__file__).resolve().parents[2]
COINS = "images/coins/coins.png"
RELIEF = "images/relief/shadedrelief.jpg"
COINS_CANVAS = "https://heritage.echoes.invalid/images/coins/canvas/1"
ELSEWHERE = "http://127.0.0.2:9999"  # an origin other than the hub's hosts


@pytest.fixture(scope="module")
def iiif(hub, data) -> str:
    """The service's public URL, once it answers through the proxy."""
    url = hub.service_url("iiif")
    wait_for(lambda: requests.get(url, timeout=5).status_code == 200, 120, "the IIIF service")
    return url


def image_url(iiif: str, identifier: str, *params: str) -> str:
    return "/".join([f"{iiif}image/3/{quote(identifier, safe='')}", *params])


def get_image(url: str) -> Image.Image:
    reply = requests.get(url, timeout=60)
    assert reply.status_code == 200, (url, reply.status_code, reply.text[:300])
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    return Image.open(io.BytesIO(reply.content))


def test_every_image_of_the_data_has_an_info_json(iiif, data):
    index = requests.get(iiif, timeout=10).json()  # anonymous: no cookie, no token
    identifiers = [image["identifier"] for image in index["images"]]
    assert COINS in identifiers and RELIEF in identifiers
    files = sorted(p.relative_to(data).as_posix() for p in data.rglob("*.[pj][np]g"))
    assert identifiers == files
    for identifier in identifiers:
        reply = requests.get(image_url(iiif, identifier, "info.json"), timeout=10)
        assert reply.status_code == 200
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        assert "max-age=" in reply.headers["Cache-Control"] and reply.headers["ETag"]
        info = reply.json()
        with Image.open(data / identifier) as original:
            assert (info["width"], info["height"]) == original.size
        assert info["@context"] == "http://iiif.io/api/image/3/context.json"
        assert info["id"] == image_url(iiif, identifier)
        assert (info["type"], info["protocol"]) == ("ImageService3", "http://iiif.io/api/image")
        assert info["profile"] == "level2"
        assert info["tiles"][0]["width"] == 512 and info["tiles"][0]["scaleFactors"][0] == 1
        # Whole-image sizes, smallest first, up to the full size within maxArea.
        assert all(s["width"] * s["height"] <= info["maxArea"] for s in info["sizes"])
        if info["width"] * info["height"] <= info["maxArea"]:
            assert {"width": info["width"], "height": info["height"]} == info["sizes"][-1]
        # Revalidation: the same ETag answers 304 with no body.
        again = requests.get(
            reply.url, headers={"If-None-Match": reply.headers["ETag"]}, timeout=10
        )
        assert again.status_code == 304 and not again.content
    # The image's base URI redirects to its info.json, as the API asks.
    base = requests.get(image_url(iiif, COINS), allow_redirects=False, timeout=10)
    assert base.status_code == 303
    assert base.headers["Location"] == image_url(iiif, COINS, "info.json")


def test_regions_sizes_and_qualities_are_the_pixels_asked_for(iiif, data):
    original = Image.open(data / COINS).convert("L")
    w, h = original.size  # 384 x 303
    region = get_image(image_url(iiif, COINS, "40,30,100,80", "max", "0", "default.png"))
    assert region.size == (100, 80)
    assert region.convert("L").tobytes() == original.crop((40, 30, 140, 110)).tobytes()
    cases = {
        ("full", "max"): (w, h),
        ("square", "max"): (h, h),
        ("pct:50,0,50,100", "max"): (w // 2, h),
        ("full", "192,"): (192, round(h / 2)),
        ("full", ",100"): (round(w * 100 / h), 100),
        ("full", "pct:25"): (round(w / 4), round(h / 4)),
        ("full", "100,50"): (100, 50),
        ("full", "!100,100"): (100, round(h * 100 / w)),
        ("full", "^768,"): (768, round(h * 2)),
        ("0,0,10,10", "^40,40"): (40, 40),
    }
    for (reg, size), expected in cases.items():
        image = get_image(image_url(iiif, COINS, reg, size, "0", "default.jpg"))
        assert image.format == "JPEG" and image.size == expected, (reg, size, image.size)
    rotated = get_image(image_url(iiif, COINS, "full", "max", "90", "gray.png"))
    assert rotated.size == (h, w) and rotated.mode == "L"
    assert get_image(image_url(iiif, COINS, "full", "max", "0", "bitonal.png")).mode == "1"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        (("nope", "max", "0", "default.jpg"), 400, "region"),
        (("1000,1000,10,10", "max", "0", "default.jpg"), 400, "region"),
        (("full", "huge", "0", "default.jpg"), 400, "size"),
        (("full", "800,", "0", "default.jpg"), 400, "size"),  # upscaling needs ^
        (("full", "^9000,9000", "0", "default.jpg"), 400, "size"),  # more than maxArea
        (("full", "max", "left", "default.jpg"), 400, "rotation"),
        (("full", "max", "!0", "default.jpg"), 501, "rotation"),
        (("full", "max", "0", "sepia.jpg"), 400, "quality"),
        (("full", "max", "0", "default.gif"), 415, "format"),
    ],
)
def test_bad_parameters_get_json_errors_naming_them(iiif, params, status, field):
    reply = requests.get(image_url(iiif, COINS, *params), timeout=10)
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.headers["Cache-Control"] == "no-store"
    body = reply.json()
    assert body["field"] == field and body["message"], body


@pytest.mark.parametrize(
    "identifier",
    ["images/coins/nope.png", "../../etc/passwd", "images/catalog.yaml", "BUILD.json", ""],
)
def test_only_image_files_of_the_data_folder_are_served(iiif, identifier):
    reply = requests.get(image_url(iiif, identifier, "info.json"), timeout=10)
    assert reply.status_code == 404
    assert reply.json()["field"] == ("identifier" if identifier else "path")


@pytest.mark.parametrize("path", ["images/nope", "x/y", "images/catalog.yaml"])
def test_only_manifests_of_the_data_folder_are_served(iiif, path):
    reply = requests.get(f"{iiif}presentation/{path}/manifest.json", timeout=10)
    assert reply.status_code == 404
    assert reply.json()["field"] == "manifest"


def test_no_path_leaves_the_data_folder(standalone):
    """Straight to the service's process (the proxy would resolve the dots itself): a
    manifest and an image beside the data folder exist, and are not served, nor through
    the contributed photographs' folder."""
    base = f"http://{standalone}/services/iiif/"
    for url in (
        f"{base}presentation/%2E%2E/outside/manifest.json",
        f"{base}image/3/..%2Foutside%2Fimage.png/info.json",
        f"{base}image/3/%2E%2E%2Foutside%2Fimage.png/full/max/0/default.png",
        f"{base}image/3/contributed%2F..%2F..%2Foutside%2Fimage.png/info.json",
        f"{base}image/3/contributed%2F..%2Fiiif-data0%2Ftest%2Fsquares.png/info.json",
        f"{base}image/3/contributed%2F/info.json",
    ):
        reply = requests.get(url, timeout=10)
        assert reply.status_code == 404, url
        assert reply.json()["field"] in ("manifest", "identifier")
    # A contributed photograph is served under contributed/ (and only there).
    info = requests.get(f"{base}image/3/contributed%2Fparish%2Fa.png/info.json", timeout=10)
    assert info.status_code == 200 and (info.json()["width"], info.json()["height"]) == (40, 30)
    assert requests.get(f"{base}image/3/parish%2Fa.png/info.json", timeout=10).status_code == 404


def test_deep_zoom_tiles_of_the_large_image(iiif, data):
    """As OpenSeadragon asks: the tiles of a few zoom levels, each the size the tile grid
    says. The first request decodes the 58-megapixel file once; tiles then come from the
    kept pyramid."""
    info = requests.get(image_url(iiif, RELIEF, "info.json"), timeout=10).json()
    width, height, tile = info["width"], info["height"], info["tiles"][0]["width"]
    assert width >= 5000 and height >= 2500
    factors = info["tiles"][0]["scaleFactors"]
    assert max(factors) * tile >= max(width, height)  # the top level is one tile
    timings = []
    for factor in (max(factors), 8, 1):
        span = tile * factor
        columns, rows = math.ceil(width / span), math.ceil(height / span)
        for col, row in {(0, 0), (columns - 1, rows - 1), (columns // 2, rows // 2)}:
            x, y = col * span, row * span
            w, h = min(span, width - x), min(span, height - y)
            size = f"{math.ceil(w / factor)},{math.ceil(h / factor)}"
            started = time.perf_counter()
            image = get_image(image_url(iiif, RELIEF, f"{x},{y},{w},{h}", size, "0", "default.jpg"))
            timings.append((factor, time.perf_counter() - started))
            assert image.size == (math.ceil(w / factor), math.ceil(h / factor))
    # A region at full resolution, as PNG, has exactly the file's decoded pixels.
    with Image.open(data / RELIEF) as original:
        box = (5000, 2000, 5256, 2256)
        expected = original.crop(box)
    got = get_image(image_url(iiif, RELIEF, "5000,2000,256,256", "max", "0", "default.png"))
    assert got.tobytes() == expected.tobytes()
    for factor, seconds in timings:
        print(f"relief tile at scale factor {factor}: {seconds * 1000:.0f} ms")


def test_manifests_keep_their_ids_and_link_image_services_and_annotations(hub, admin, iiif, data):
    index = requests.get(iiif, timeout=10).json()
    assert f"{iiif}presentation/images/coins/manifest.json" in index["manifests"]
    assert f"{iiif}presentation/images/relief/manifest.json" in index["manifests"]
    for name in ("coins", "relief"):
        built = json.loads((data / "images" / name / "manifest.json").read_text())
        reply = requests.get(f"{iiif}presentation/images/{name}/manifest.json", timeout=10)
        assert reply.status_code == 200 and reply.headers["Access-Control-Allow-Origin"] == "*"
        served = reply.json()
        # Ids exactly as the recipe built them: annotations target these canvases.
        assert served["id"] == built["id"]
        assert [c["id"] for c in served["items"]] == [c["id"] for c in built["items"]]
        for canvas in served["items"]:
            body = canvas["items"][0]["items"][0]["body"]
            (service,) = body["service"]
            assert service["type"] == "ImageService3"
            info = requests.get(service["id"] + "/info.json", timeout=10).json()
            assert (info["id"], info["width"]) == (service["id"], canvas["width"])
            (page_link,) = canvas["annotations"]
            assert page_link["type"] == "AnnotationPage"
            assert page_link["id"].startswith(hub.service_url("annotations") + "search?")
            page = requests.get(page_link["id"], timeout=10)
            assert page.status_code == 200, page.text
            assert page.json()["id"] == page_link["id"]  # the link is the page itself

    # A public annotation made in ECHOES shows in the coins canvas's page, a private one not.
    wait_for_service(hub)
    _, author = new_person(hub, admin, "iiif-annotator")
    containers = hub.service_url("annotations") + "containers/default/"
    made = {}
    for visibility in ("public", "private"):
        annotation = {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "motivation": "describing",
            "body": {
                "type": "TextualBody",
                "value": f"a {visibility} coin",
                "format": "text/plain",
            },
            "target": {
                "source": COINS_CANVAS,
                "selector": {"type": "FragmentSelector", "value": "xywh=10,20,30,40"},
            },
            "visibility": visibility,
        }
        reply = author.post(containers, json=annotation, headers={"Content-Type": MEDIA_TYPE})
        assert reply.status_code == 201, reply.text
        made[visibility] = reply.headers["Location"]
    coins = requests.get(f"{iiif}presentation/images/coins/manifest.json", timeout=10).json()
    link = coins["items"][0]["annotations"][0]["id"]
    page = requests.get(link, headers={"Origin": ELSEWHERE}, timeout=10)
    assert page.headers["Access-Control-Allow-Origin"] == "*"
    ids = [a["id"] for a in page.json()["items"]]
    assert made["public"] in ids and made["private"] not in ids


def test_reads_are_open_to_any_origin(iiif):
    for url in (iiif, image_url(iiif, COINS, "info.json"), f"{iiif}openapi.json"):
        reply = requests.get(url, headers={"Origin": ELSEWHERE}, timeout=10)
        assert reply.status_code == 200
        assert reply.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in reply.headers
        assert reply.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    preflight = requests.options(
        image_url(iiif, COINS, "info.json"),
        headers={"Origin": ELSEWHERE, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert preflight.status_code == 200 and "GET" in preflight.headers["Allow"]
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    # Nothing but reads.
    assert requests.post(iiif, timeout=10).status_code == 405


@pytest.fixture(scope="module")
def standalone(tmp_path_factory) -> Iterator[str]:
    """The service's own process, by itself, over a data folder with the validator's test
    image (1000 x 1000, 10 x 10 squares of the colours the validator checks), and files
    beside that folder that it must never serve."""
    from iiif_validator.validator import ValidationInfo

    root = tmp_path_factory.mktemp("iiif-data")
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "manifest.json").write_text('{"type": "Manifest"}')
    Image.new("RGB", (10, 10)).save(outside / "image.png")
    (root / "test").mkdir()
    image = Image.new("RGB", (1000, 1000))
    colours = ValidationInfo().colorInfo
    for x in range(10):
        for y in range(10):
            image.paste(colours[x][y], (x * 100, y * 100, x * 100 + 100, y * 100 + 100))
    image.save(root / "test" / "squares.png")
    # A contributed collection's photograph, in a folder of its own (the harvest folder's).
    contributed = root.parent / "contributed"
    (contributed / "parish").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30)).save(contributed / "parish" / "a.png")
    port = free_port_block(1)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "echoes_hub.services.iiif",
            "--data-dir",
            str(root),
            f"--IIIFApp.contributed_dir={contributed}",
            f"--ServiceApp.service_url=http://127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/services/iiif/"
        wait_for(lambda: requests.get(url, timeout=5).status_code == 200, 30, "the IIIF service")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_official_validator_passes_every_level_2_test(standalone):
    started = time.perf_counter()
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "iiif-validate.py"),
            "-s",
            standalone,
            "-p",
            "services/iiif/image/3",
            "-i",
            "test%2Fsquares.png",
            "--version=3.0",
            "--level",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    print(run.stdout[-3000:])
    print(f"iiif-validator, level 2: {time.perf_counter() - started:.1f} s")
    assert run.returncode == 0, run.stdout[-3000:]
    (summary,) = [line for line in run.stdout.splitlines() if line.startswith("Done (")]
    assert summary.endswith(" 0 failures)"), summary
    assert int(summary[len("Done (") :].split()[0]) >= 30  # the level 2 tests all ran


def test_every_answer_matches_the_openapi_description(iiif):
    """Schemathesis against the description the service serves, anonymously: no answer
    may be a 5xx, and every status, content type and body must be what it says."""
    from schemathesis.generation.modes import GenerationMode

    from tests.security import run_schemathesis

    spec = requests.get(f"{iiif}openapi.json", timeout=10).json()
    assert spec["servers"][0]["url"] == iiif.rstrip("/")
    real = {"identifier": COINS, "folder": "images", "name": "coins"}
    # Valid requests only: every string is a valid path parameter (a bad one gets 4xx).
    run = run_schemathesis(spec, {}, 15, real, modes=[GenerationMode.POSITIVE])
    assert not run.failures, "\n\n".join(run.failures)
