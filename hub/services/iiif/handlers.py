"""Thin tornado handlers of the IIIF service, and its route table (`ROUTES`).

No handler asks who calls: every read is anonymous (the shared data are open data), and
every answer may be read by any origin (``Access-Control-Allow-Origin: *``, never with
credentials). Work on pixels runs beside the event loop, in the service's thread pool.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ..base.open import OpenReads
from ..base.openapi import openapi
from ..base.routes import Route
from .images import NotFound, identifier_segment
from .presentation import manifests, served_manifest

IMAGE_BASE = "image/3/"
JSON_LD = "application/ld+json"
IMAGE_PROFILE = "http://iiif.io/api/image/3/context.json"
PRESENTATION_PROFILE = "http://iiif.io/api/presentation/3/context.json"


class BaseHandler(OpenReads):
    """Anonymous, cacheable, readable from any origin."""

    allowed_headers = "Accept, Range, If-None-Match"
    exposed_headers = "ETag, Link, Content-Type"

    @property
    def iiif(self) -> Any:
        return self.settings["iiif"]

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", f"public, max-age={self.iiif.cache_max_age}")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.clear_header("Cache-Control")  # a refusal is not kept
        self.set_header("Cache-Control", "no-store")
        super().write_error(status_code, **kwargs)

    def write_json(self, document: dict, profile: str) -> None:
        # JSON-LD with the profile when asked for, else JSON (what the APIs recommend).
        accept = self.request.headers.get("Accept", "")
        if JSON_LD in accept:
            self.set_header("Content-Type", f'{JSON_LD};profile="{profile}"')
        else:
            self.set_header("Content-Type", "application/json")
        self.write(json.dumps(document, ensure_ascii=False))

    async def in_pool(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.iiif.pool, function, *args)


class InfoHandler(BaseHandler):
    def get(self) -> None:
        iiif = self.iiif
        self.set_header("Cache-Control", "no-cache")
        self.write_json(
            {
                "service": "iiif",
                "images": [
                    {"identifier": i, "info": f"{iiif.image_base}{identifier_segment(i)}/info.json"}
                    for i in iiif.images.identifiers()
                ],
                "manifests": [
                    f"{iiif.public_url}presentation/{m}/manifest.json"
                    for m in manifests(iiif.images.root)
                ],
            },
            PRESENTATION_PROFILE,
        )


class ImageBaseHandler(BaseHandler):
    def get(self, identifier: str) -> None:
        self.iiif.images.path(identifier)
        # The Image API: the base URI of an image redirects to its info.json.
        info = f"{self.iiif.image_base}{identifier_segment(identifier)}/info.json"
        self.redirect(info, status=303)


class ImageInfoHandler(BaseHandler):
    async def get(self, identifier: str) -> None:
        info = await self.in_pool(self.iiif.images.info, identifier, self.iiif.image_base)
        self.set_header("Link", f'<{IMAGE_PROFILE}>; rel="profile"')
        self.write_json(info, IMAGE_PROFILE)


class ImageHandler(BaseHandler):
    async def get(
        self, identifier: str, region: str, size: str, rotation: str, quality_format: str
    ) -> None:
        body, media_type = await self.in_pool(
            self.iiif.images.render, identifier, region, size, rotation, quality_format
        )
        self.set_header("Link", '<http://iiif.io/api/image/3/level2.json>; rel="profile"')
        self.set_header("Content-Type", media_type)
        self.write(body)


class ManifestHandler(BaseHandler):
    async def get(self, folder: str, name: str) -> None:
        iiif = self.iiif
        manifest = await self.in_pool(
            served_manifest,
            iiif.images,
            folder,
            name,
            iiif.image_base,
            iiif.annotations_url,
        )
        self.write_json(manifest, PRESENTATION_PROFILE)


class NoSuchPath(BaseHandler):
    """Any other path (an empty identifier too): a JSON 404, readable from any origin."""

    def prepare(self) -> None:
        raise NotFound(f"no such path {self.request.path!r}", "path")


class OpenAPIHandler(BaseHandler):
    def get(self) -> None:
        self.write_json(document(self.iiif.public_url), "")


IMAGE = IMAGE_BASE + "{identifier}"
ROUTES = [
    Route("", InfoHandler, {"get": "The images and manifests served"}, replies={"get": "Index"}),
    Route("openapi.json", OpenAPIHandler, {"get": "This description"}, replies={"get": "OpenAPI"}),
    Route(IMAGE, ImageBaseHandler, {"get": "Redirect (303) to the image's info.json"}),
    Route(
        IMAGE + "/info.json",
        ImageInfoHandler,
        {"get": "The image's IIIF Image API 3.0 information", "options": "CORS preflight"},
        replies={"get": "ImageInfo"},
    ),
    Route(
        IMAGE + "/{region}/{size}/{rotation}/{quality_format}",
        ImageHandler,
        {"get": "An image request (quality.format: default.jpg, gray.png, ...)"},
        replies={"get": "Image"},
    ),
    Route(
        "presentation/{folder}/{name}/manifest.json",
        ManifestHandler,
        {"get": "The IIIF Presentation 3 manifest, with image services and annotations"},
        replies={"get": "Manifest"},
    ),
]


def document(base_url: str) -> dict[str, Any]:
    """The service's OpenAPI description (from `ROUTES`)."""
    doc = openapi(
        ROUTES,
        base_url,
        title="ECHOES IIIF service",
        description="The shared data's images (IIIF Image API 3.0, level 2) and manifests "
        "(IIIF Presentation 3.0), read anonymously from any origin.",
        schemas={
            "Index": {"type": "object"},
            "OpenAPI": {"type": "object"},
            "ImageInfo": {"type": "object", "required": ["id", "type", "width", "height"]},
            "Image": {"type": "string", "format": "binary"},
            "Manifest": {"type": "object", "required": ["id", "type", "items"]},
        },
        errors={
            "400": "a bad parameter (named in field)",
            "404": "no such image or manifest",
            "415": "a format not offered",
            "501": "a feature not offered (mirroring)",
        },
        media_types={"Image": "image/jpeg"},
    )
    doc["security"] = []  # anonymous
    return doc
