"""The contribution wizard of the twins service: a small institution's spreadsheet becomes
twins of the commons from a browser, by the same steps as `echoes contribute`.

    GET  contribute                          the wizard's first page: upload, own drafts
    POST contribute/drafts                   a sheet (multipart, field ``sheet``): a draft
    GET  contribute/drafts/<id>              its preview, mapping, choices and problems
    POST contribute/drafts/<id>              change the mapping, name, title, licence, citation
    POST contribute/drafts/<id>/images       its photographs, a zip (multipart, ``images``)
    POST contribute/drafts/<id>/publish      publish it, all or nothing (or submit it)
    POST contribute/drafts/<id>/reopen       back to editing: withdrawn, or sent back
    POST contribute/drafts/<id>/delete       forget it

Each answers JSON, or the wizard's page to a form of the page (with the XSRF token; a
refusal then is a page naming the problem). Only the hub's administrators and the members
of `TwinsService.contributors_group` may contribute. A draft is private until it is
published: its contributor's, and its group's when they share it with one of their hub
groups; anyone else is answered 404. A published collection is re-published only by its
contributor, its group's members or an administrator.

When `TwinsService.moderate_contributions` is on, a contributor's publish submits the
draft instead (202): it can no longer be changed, and the administrators see it, publish
it (as the contributor's) or send it back with a reason. An administrator's own drafts are
published at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from tornado.escape import json_decode

from ..base.auth import ServiceHandler
from ..base.errors import ServiceError
from ..base.languages import Translated
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
from .text_languages import text_languages

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


class InReview(ServiceError):
    """The draft is submitted for review (no change until it is reopened), or is not."""

    status = HTTPStatus.CONFLICT


def refuse_unless_theirs(
    entry: dict[str, Any], collection: str, who: str, groups: Iterable[str]
) -> None:
    """NotAllowed unless the hub user ``who`` (in ``groups``) may publish ``collection``
    (harvest-folder ``entry``) again: its contributor or a member of its group (the
    administrators are let through by the callers)."""
    said = entry.get("contribution") or {}
    owner, group = said.get("contributor"), said.get("group")
    if owner and who != owner and not (group and group in groups):
        raise NotAllowed(
            f"{collection} was contributed by {owner}: only they, their group and "
            "the administrators re-publish it"
        )


class ContributingHandler(ServiceHandler, Translated):
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

    @property
    def moderated(self) -> bool:
        return self.service_settings.moderate_contributions

    def sees(self, draft: Draft) -> bool:
        """Its contributor and group; administrators too once it is submitted."""
        viewer = self.viewer
        return draft.shared_with(viewer.name, viewer.groups) or bool(
            viewer.admin and draft.submitted
        )

    def draft(self, draft_id: str, change: bool = False) -> Draft:
        """The draft, if the caller sees it (else 404); ``change``: to change it, which
        its contributor and group do, and not while it is submitted (409)."""
        try:
            draft = self.drafts.get(draft_id)
        except NoDraft:
            draft = None
        if draft is None or not self.sees(draft):
            raise NotFound(f"no draft {draft_id!r} of yours or your groups'", "id")
        if change and not draft.shared_with(self.viewer.name, self.viewer.groups):
            raise NotAllowed(f"draft {draft_id!r} is {draft.contributor}'s: only they change it")
        if change and draft.submitted:
            raise InReview(
                f"{draft.file} is submitted for review since {draft.submitted}: reopen it to "
                "change it",
                "id",
            )
        return draft

    def visible_drafts(self) -> list[Draft]:
        return [d for d in self.drafts.every() if self.sees(d)]

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
            "language": draft.language,
            "contributor": draft.contributor,
            "group": draft.group,
            # Whether the caller may change it (its contributor, its group), not only see it.
            "yours": draft.shared_with(self.viewer.name, self.viewer.groups),
            "submitted": draft.submitted,
            "review": draft.review,
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

    def page(
        self,
        draft: dict[str, Any] | None = None,
        drafts: list[Draft] = (),
        error: str = "",
        back: str = "",
    ) -> None:
        """The wizard's page: the upload and ``drafts``, the steps of ``draft``, or the
        ``error`` a form of the page met and the way ``back``."""
        self.render(
            "contribute.html",
            draft=draft,
            drafts=drafts,
            error=error,
            back=back,
            # Links to this page in another language: a GET's page only (not a form's answer).
            languages=self.language_links() if self.request.method == "GET" else "",
            moderated=self.moderated,
            viewer=self.viewer,
            xsrf=self.xsrf_token.decode(),
            prefix=self.url(),
            suffixes=SUFFIXES,
            fields=FIELDS,
            licences=LICENCES,
            text_languages=text_languages(),
            max_bytes=self.body_limit,
        )

    def from_page(self) -> bool:
        """A form of the wizard's page (urlencoded, or the upload's multipart with the
        page's XSRF token), answered with the page it leads to."""
        return self.from_page_form() or "_xsrf" in self.request.body_arguments

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A refusal of a form of the page is a page saying why; anything else JSON."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ServiceError) and self.request.method == "POST" and self.from_page():
            draft_id = self.path_kwargs.get("draft_id")
            back = self.url(f"/drafts/{draft_id}" if draft_id and error.status != 404 else "")
            self.set_status(error.status)
            self.page(error=error.message, back=back)
            return
        super().write_error(status_code, **kwargs)

    async def described_off_the_loop(self, draft: Draft) -> dict[str, Any]:
        """`described`, in a thread: it checks every row of the sheet."""
        return await asyncio.get_running_loop().run_in_executor(None, self.described, draft)

    async def answer(self, draft: Draft, status: int = 200) -> None:
        """The draft's page to the page's forms, else its JSON."""
        if self.from_page():
            self.redirect(self.url(f"/drafts/{draft.id}"), status=303)
            return
        described = await self.described_off_the_loop(draft)
        self.set_status(status)
        self.finish(described)

    def said(self) -> dict[str, Any]:
        """What a form of the page or a JSON body says (fields as ``field.<name>``)."""
        if self.from_page_form():
            said: dict[str, Any] = {
                k: self.get_body_argument(k)
                for k in (*CHOICES, "language", "group", "reason")
                if k in self.request.body_arguments
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


def listed(draft: Draft) -> dict[str, Any]:
    """A draft as the lists of drafts show it."""
    keys = ("id", "file", "name", "contributor", "group", "submitted", "submitted_by")
    return {k: getattr(draft, k) for k in keys}


class ContributePage(ContributingHandler):
    def get(self) -> None:
        """The wizard's first page; to a program (the JupyterLab panel), what it offers:
        the drafts the caller sees, the fields and licences (explained in the language
        asked, ``?lang=``), the sheets it takes, whether contributions are moderated, and
        the groups the caller may share a draft with."""
        if self.is_page_view():
            self.page(drafts=self.visible_drafts())
            return
        viewer = self.viewer
        self.finish(
            {
                "drafts": [listed(d) for d in self.visible_drafts()],
                # Explained in the caller's language (?lang=, as the page is).
                "fields": {f: self.locale.translate(about) for f, about in FIELDS.items()},
                "required": list(REQUIRED),
                "licences": {k: self.locale.translate(v) for k, v in LICENCES.items()},
                "languages": {code: name for code, (name, _) in text_languages().items()},
                "suffixes": list(SUFFIXES),
                "max_bytes": self.body_limit,
                "moderated": self.moderated,
                "admin": viewer.admin,
                "name": viewer.name,
                "groups": sorted(viewer.groups),
            }
        )


class DraftsHandler(ContributingHandler):
    def get(self) -> None:
        self.finish({"drafts": [listed(d) for d in self.visible_drafts()]})

    async def post(self) -> None:
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
        loop = asyncio.get_running_loop()
        try:  # read whole, in a thread: a sheet may have many rows
            draft = await loop.run_in_executor(
                None, self.drafts.create, self.viewer.name, upload["filename"], upload["body"]
            )
        except BadSheet as error:
            raise BadUpload(str(error), "sheet") from error
        await self.answer(draft, 201)


class DraftHandler(ContributingHandler):
    async def get(self, draft_id: str) -> None:
        draft = self.draft(draft_id)
        if self.is_page_view():
            self.page(draft=await self.described_off_the_loop(draft))
            return
        await self.answer(draft)

    async def post(self, draft_id: str) -> None:
        draft = self.draft(draft_id, change=True)
        said = self.said()
        try:
            updated(draft, draft.sheet(), said)
        except (BadMapping, BadSheet) as error:
            raise BadUpload(str(error), "fields") from error
        except ValueError as error:
            raise BadUpload(str(error), "$") from error
        if draft.licence and draft.licence not in LICENCES:
            raise BadUpload(f"licence {draft.licence!r}: one of {', '.join(LICENCES)}", "licence")
        if "group" in said and said["group"] != draft.group:
            self.share(draft, said["group"])
        draft.save()
        await self.answer(draft)

    def share(self, draft: Draft, group: Any) -> None:
        """Share the draft with one of its contributor's groups ("": with nobody)."""
        viewer = self.viewer
        if viewer.name != draft.contributor:
            raise NotAllowed(f"only {draft.contributor} chooses who shares the draft", "group")
        if not isinstance(group, str) or (group and group not in viewer.groups):
            raise BadUpload(
                f"group {group!r}: one of your groups ({', '.join(sorted(viewer.groups))}), or "
                '"" to share it with nobody',
                "group",
            )
        draft.group = group


class ImagesHandler(ContributingHandler):
    async def post(self, draft_id: str) -> None:
        draft = self.draft(draft_id, change=True)
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
        await self.answer(draft)


class PublishHandler(ContributingHandler):
    async def post(self, draft_id: str) -> None:
        if self.moderated and not self.viewer.admin:
            await self.submit(self.draft(draft_id, change=True))
            return
        # Its contributor or group, or an administrator who sees it submitted, publishes it.
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

    async def submit(self, draft: Draft) -> None:
        """Submit the draft for an administrator's review: checked as for publishing."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self.ready, draft, draft.sheet())
        except BadSheet as error:
            raise BadUpload(str(error), "sheet") from error
        entry = self.harvester.folder.index().get(draft.name) or {}
        refuse_unless_theirs(entry, draft.name, self.viewer.name, self.viewer.groups)
        draft.submitted = datetime.now(UTC).isoformat(timespec="seconds")
        draft.submitted_by, draft.submitted_groups = self.viewer.name, sorted(self.viewer.groups)
        draft.review = ""
        draft.save()
        await self.answer(draft, 202)

    def ready(self, draft: Draft, sheet: Sheet) -> list[Row]:
        """The rows to publish: every row checked (BadUpload if one has a problem, a
        choice is missing or there is no row)."""
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
        return rows

    def _publish(self, draft: Draft) -> tuple[Published, str]:
        """Check every row (once, in the harvest's thread: not on the event loop), then
        publish; the published collection and its first row's identifier."""
        sheet = draft.sheet()
        rows = self.ready(draft, sheet)
        # Who published the collection is read here, in the one thread that writes it. A
        # submitted draft is published as its submitter's: the administrator approves it
        # and is not asked to be the one who may publish over the collection.
        entry = self.harvester.folder.index().get(draft.name) or {}
        viewer = self.viewer
        if draft.submitted:
            refuse_unless_theirs(entry, draft.name, draft.submitted_by, draft.submitted_groups)
        elif not viewer.admin:
            refuse_unless_theirs(entry, draft.name, viewer.name, viewer.groups)
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
            contributor=draft.contributor,
            language=draft.language,
            group=draft.group,
            published_by=viewer.name,
            images=draft.images,
            catalog=self.harvester.catalog,
            built=built_collections(Path(self.settings["data_dir"])),
            iiif_url=self.settings["twins"].iiif_url,
        )
        return done, rows[0].identifier


class ReopenHandler(ContributingHandler):
    async def post(self, draft_id: str) -> None:
        """Its contributor or group withdraws a submitted draft; an administrator sends it
        back with a reason (``reason``), shown to them."""
        draft = self.draft(draft_id)
        if not draft.submitted:
            raise InReview(f"{draft.file} is not submitted for review", "id")
        if not draft.shared_with(self.viewer.name, self.viewer.groups):
            reason = self.said().get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise BadUpload(
                    "say why it is sent back (reason): its contributor reads it", "reason"
                )
            draft.review = f"{self.viewer.name}: {reason.strip()}"
        draft.submitted, draft.submitted_by, draft.submitted_groups = "", "", []
        draft.save()
        if self.from_page() and not draft.shared_with(self.viewer.name, self.viewer.groups):
            self.redirect(self.url(), status=303)  # no longer the administrator's to see
            return
        await self.answer(draft)


class DeleteDraftHandler(ContributingHandler):
    def post(self, draft_id: str) -> None:
        self.drafts.delete(self.draft(draft_id, change=True))
        if self.from_page():
            self.redirect(self.url(), status=303)
            return
        self.set_status(204)
        self.finish()
