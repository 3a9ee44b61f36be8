"""The contribution wizard of the twins service: a small institution's spreadsheet becomes
twins of the commons from a browser, by the same steps as `echoes contribute`.

    GET  contribute                          the wizard's first page: upload, own drafts
    POST contribute/drafts                   a sheet (multipart, field ``sheet``): a draft
    GET  contribute/drafts/<id>              its preview, mapping, choices and problems
    POST contribute/drafts/<id>              change the mapping, name, title, licence, citation
    POST contribute/drafts/<id>/images       its photographs, a zip (multipart, ``images``)
    POST contribute/drafts/<id>/publish      publish it: all or nothing
    POST contribute/drafts/<id>/delete       forget it

Each answers JSON, or the wizard's page to a form of the page (with the XSRF token).
Only the hub's administrators and the members of `TwinsService.contributors_group` may
contribute; a draft is its contributor's alone; a collection published by one contributor
is re-published by them (or an administrator) only.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from http import HTTPStatus
from pathlib import Path
from typing import Any

from tornado.escape import json_decode

from ..base.auth import ServiceHandler
from ..base.errors import ServiceError
from . import object_page
from .contribute.checks import Problem, Row, check
from .contribute.drafts import (
    CHOICES,
    SUFFIXES,
    BadImages,
    Draft,
    Drafts,
    NoDraft,
    unpack_images,
    updated,
)
from .contribute.mapping import FIELDS, BadMapping
from .contribute.publish import LICENCES, BadContribution, Published, publish
from .contribute.sheets import BadSheet, Sheet
from .errors import NotFound
from .harvest.cli import built_collections
from .harvest.records import local_id
from .harvest.schedule import Harvester

#: The fields a column must give (mapping.check_mapping says the same of a YAML mapping).
REQUIRED = ("identifier", "title")
#: Rows of the sheet the page and the JSON show.
PREVIEW_ROWS = 5


class NotAllowed(ServiceError):
    """The caller may not contribute, or not to this collection."""

    status = HTTPStatus.FORBIDDEN


class BadUpload(ServiceError):
    """A sheet, a mapping or a choice that cannot be taken (named in the message)."""

    status = HTTPStatus.BAD_REQUEST


class ContributingHandler(ServiceHandler):
    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:  # sent to the login
            return
        group = self.service_settings.contributors_group
        viewer = self.viewer
        if not (viewer.admin or group in viewer.groups):
            raise NotAllowed(
                f"only members of the group {group!r} and the hub's administrators contribute"
                " collections: ask an administrator to add you"
            )
        if self.harvester is None:
            raise NotFound("this service has no harvest folder (TwinsApp.harvest_dir)")

    @property
    def body_limit(self) -> int:
        return self.service_settings.contribute_max_bytes

    @property
    def harvester(self) -> Harvester | None:
        return self.settings.get("harvester")

    @property
    def drafts(self) -> Drafts:
        return Drafts(self.harvester.folder.root / "drafts")

    def draft(self, draft_id: str) -> Draft:
        try:
            return self.drafts.get(self.viewer.name, draft_id)
        except NoDraft:
            raise NotFound(f"no draft {draft_id!r} of yours", "id") from None

    def url(self, path: str = "") -> str:
        return f"{self.settings['prefix']}contribute{path}"

    def described(self, draft: Draft) -> dict[str, Any]:
        """The draft as the page and the JSON show it: the sheet's first rows, the
        mapping, the choices so far and every problem of every row."""
        try:
            sheet = draft.sheet()
        except BadSheet as error:  # read when it was uploaded: only if changed on disk
            raise BadUpload(str(error), "sheet") from error
        rows, problems = self.checked(draft, sheet)
        return {
            "id": draft.id,
            "url": self.url(f"/drafts/{draft.id}"),
            "file": sheet.file,
            "sha256": sheet.sha256,
            "rows": len(sheet.rows),
            "header": sheet.header,
            "images": sorted(f.name for f in draft.images.iterdir()) if draft.images else [],
            "preview": [
                {"row": number, "values": values} for number, values in sheet.rows[:PREVIEW_ROWS]
            ],
            "fields": draft.fields,
            "name": draft.name,
            "title": draft.title,
            "licence": draft.licence,
            "citation": draft.citation,
            "problems": [problem_json(p) for p in problems],
            "ready": not [p for p in problems if not p.warning]
            and all(getattr(draft, k) for k in CHOICES),
            "records": len(rows),
        }

    def checked(self, draft: Draft, sheet: Sheet) -> tuple[list[Row], list[Problem]]:
        """The rows as they would be published, and every problem; a field that must have
        a column and has none is the one problem until it has."""
        unmapped = [f for f in REQUIRED if not draft.fields.get(f)]
        if unmapped:
            return [], [
                Problem(sheet.file, None, "", f"no column gives the {f}", "choose its column")
                for f in unmapped
            ]
        options = self.service_settings
        return check(
            sheet,
            draft.fields,
            draft.images,
            max_rows=options.contribute_max_rows,
            max_image_bytes=options.contribute_max_image_bytes,
            images_shown="the zip of photographs",
            give_images="upload a zip of the photographs (step 2)",
        )

    def page(self, draft: dict[str, Any] | None = None, drafts: list[Draft] = ()) -> None:
        """The wizard's page: the upload and ``drafts``, or the steps of ``draft``."""
        self.render(
            "contribute.html",
            draft=draft,
            drafts=drafts,
            viewer=self.viewer,
            xsrf=self.xsrf_token.decode(),
            prefix=self.url(),
            suffixes=SUFFIXES,
            fields=FIELDS,
            licences=LICENCES,
            max_bytes=self.body_limit,
        )

    def from_page(self) -> bool:
        """A form of the wizard's page (urlencoded, or the upload's multipart with the
        page's XSRF token), answered with the page it leads to."""
        return self.from_page_form() or "_xsrf" in self.request.body_arguments

    def answer(self, draft: Draft, status: int = 200) -> None:
        """The draft's page to the page's forms, else its JSON."""
        if self.from_page():
            self.redirect(self.url(f"/drafts/{draft.id}"), status=303)
            return
        self.set_status(status)
        self.finish(self.described(draft))

    def said(self) -> dict[str, Any]:
        """What a form of the page or a JSON body says (fields as ``field.<name>``)."""
        if self.from_page_form():
            said: dict[str, Any] = {
                k: self.get_body_argument(k) for k in CHOICES if k in self.request.body_arguments
            }
            fields = {
                f: self.get_body_argument(f"field.{f}") or None
                for f in FIELDS
                if f"field.{f}" in self.request.body_arguments
            }
            return {**said, **({"fields": fields} if fields else {})}
        try:
            said = json_decode(self.request.body or b"{}")
        except ValueError as error:
            raise BadUpload(f"the body is not JSON: {error}", "$") from error
        if not isinstance(said, dict):
            raise BadUpload("the body is a JSON object", "$")
        return said


def problem_json(problem: Problem) -> dict[str, Any]:
    found = asdict(problem)
    found.pop("file")
    return found


class ContributePage(ContributingHandler):
    def get(self) -> None:
        self.page(drafts=self.drafts.mine(self.viewer.name))


class DraftsHandler(ContributingHandler):
    def get(self) -> None:
        found = self.drafts.mine(self.viewer.name)
        self.finish({"drafts": [{"id": d.id, "file": d.file, "name": d.name} for d in found]})

    def post(self) -> None:
        uploads = self.request.files.get("sheet")
        if not uploads:
            raise BadUpload("upload the sheet as the form field 'sheet' (multipart)", "sheet")
        upload = uploads[0]
        if Path(upload["filename"]).suffix.lower() not in SUFFIXES:
            raise BadUpload(
                f"{upload['filename']}: a sheet is {', '.join(SUFFIXES)} (save it as .xlsx or "
                "as CSV UTF-8 first)",
                "sheet",
            )
        try:
            draft = self.drafts.create(self.viewer.name, upload["filename"], upload["body"])
        except BadSheet as error:
            raise BadUpload(str(error), "sheet") from error
        self.answer(draft, 201)


class DraftHandler(ContributingHandler):
    def get(self, draft_id: str) -> None:
        draft = self.draft(draft_id)
        if self.is_page_view():
            self.page(draft=self.described(draft))
            return
        self.answer(draft)

    def post(self, draft_id: str) -> None:
        draft = self.draft(draft_id)
        try:
            updated(draft, draft.sheet(), self.said())
        except (BadMapping, BadSheet, ValueError) as error:
            raise BadUpload(str(error), "fields") from error
        if draft.licence and draft.licence not in LICENCES:
            raise BadUpload(f"licence {draft.licence!r}: one of {', '.join(LICENCES)}", "licence")
        draft.save()
        self.answer(draft)


class ImagesHandler(ContributingHandler):
    def post(self, draft_id: str) -> None:
        draft = self.draft(draft_id)
        uploads = self.request.files.get("images")
        if not uploads:
            raise BadUpload("upload the photographs as a zip, the form field 'images'", "images")
        options = self.service_settings
        try:
            unpack_images(
                draft,
                uploads[0]["filename"],
                uploads[0]["body"],
                options.contribute_max_image_bytes,
                options.contribute_max_unpacked_bytes,
            )
        except BadImages as error:
            raise BadUpload(str(error), "images") from error
        self.answer(draft)


class PublishHandler(ContributingHandler):
    async def post(self, draft_id: str) -> None:
        draft = self.draft(draft_id)
        # The harvest's one thread writes the harvest folder: one write at a time.
        loop = asyncio.get_running_loop()
        try:
            done, first = await loop.run_in_executor(self.harvester.pool, self._publish, draft)
        except BadContribution as error:
            raise BadUpload(str(error), "name") from error
        except BadSheet as error:
            raise BadUpload(str(error), "sheet") from error
        self.drafts.delete(draft)
        await self.settings["twins"].twins.caught_up()
        page = object_page(self.settings["public_url"], done.name, local_id(first))
        if self.from_page():
            self.redirect(page, status=303)
            return
        self.set_status(201)
        self.finish({**asdict(done), "first": page})

    def _publish(self, draft: Draft) -> tuple[Published, str]:
        """Check every row (once, in the harvest's thread: not on the event loop), then
        publish; the published collection and its first row's identifier."""
        sheet = draft.sheet()
        rows, problems = self.checked(draft, sheet)
        missing = [k for k in CHOICES if not getattr(draft, k)]
        wrong = [p for p in problems if not p.warning]
        if missing or wrong or not rows:
            reason = (
                f"choose its {', '.join(missing)}"
                if missing
                else f"problems left: {len(wrong)}"
                if wrong
                else "it has no rows"
            )
            raise BadUpload(f"{draft.file} is not ready to publish: {reason}", "draft")
        # Who published the collection is read here, in the one thread that writes it.
        entry = self.harvester.folder.index().get(draft.name) or {}
        owner = (entry.get("contribution") or {}).get("contributor")
        if owner and owner != self.viewer.name and not self.viewer.admin:
            raise NotAllowed(f"{draft.name} was contributed by {owner}: only they re-publish it")
        done = publish(
            sheet,
            draft.sheet_path,
            draft.fields,
            rows,
            self.harvester.folder,
            name=draft.name,
            title=draft.title,
            licence=draft.licence,
            citation=draft.citation,
            contributor=self.viewer.name,
            images=draft.images,
            catalog=self.harvester.catalog,
            built=built_collections(Path(self.settings["data_dir"])),
            iiif_url=self.settings["twins"].iiif_url,
        )
        return done, rows[0].identifier


class DeleteDraftHandler(ContributingHandler):
    def post(self, draft_id: str) -> None:
        self.drafts.delete(self.draft(draft_id))
        if self.from_page():
            self.redirect(self.url(), status=303)
            return
        self.set_status(204)
        self.finish()
