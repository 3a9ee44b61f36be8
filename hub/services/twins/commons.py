"""The commons the twins service holds: the public annotations about objects, what each
one's nanopublication is in the graph, and what the current view adopts.

`Commons.apply` takes one entry of the annotation service's change feed (an annotation
in its current public state, or gone) and says which quads to remove from the graph and
which to add: those of the annotation itself and of every annotation whose graph it
changes (an assessment changes the status, and perhaps the adoption, of what it answers;
an interpretation that comes, goes or moves to other objects changes its responses'
graphs). The current view may hold one triple for several adopted interpretations: it is
counted, and leaves the graph with the last of them. `interpretations` gives the pages,
the notebook API and the JSON route what is said about one object, `analyses` the runs
linked to it (which say nothing about it: no nanopublication, only a graph of what each
run used). No I/O here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import interpretations as np
from .interpretations import Quad, Verdict


@dataclass
class Commons:
    objects: np.ObjectIndex
    #: Each public annotation the feed gave (annotation IRI -> its document).
    docs: dict[str, dict] = field(default_factory=dict)
    #: The responses to each annotation (its IRI -> response IRIs, in the order made).
    answers: dict[str, list[str]] = field(default_factory=dict)
    #: What the graph holds for each annotation: its own quads, and its quads in the view.
    own: dict[str, set[Quad]] = field(default_factory=dict)
    viewed: dict[str, set[Quad]] = field(default_factory=dict)
    counted: Counter = field(default_factory=Counter)
    #: The interpretations of each object (object IRI -> annotation IRIs).
    of_object: dict[str, list[str]] = field(default_factory=dict)
    #: The analyses (linked runs) of each object (object IRI -> annotation IRIs).
    analyses_of: dict[str, list[str]] = field(default_factory=dict)

    # --- what is what ------------------------------------------------------------------

    def about(self, annotation: str) -> list[str]:
        """The objects ``annotation`` interprets (none for an analysis: it claims nothing)."""
        doc = self.docs.get(annotation)
        if doc is None or np.run_of(doc) is not None:
            return []
        return self.objects.objects_of(doc)

    def _listed(self, doc: dict) -> dict[str, list[str]]:
        """Where the objects of ``doc`` list it: among their analyses or interpretations."""
        return self.analyses_of if np.run_of(doc) is not None else self.of_object

    def answered(self, annotation: str) -> list[str]:
        """The interpretations (of objects) that the response ``annotation`` answers."""
        doc = self.docs.get(annotation)
        if doc is None:
            return []
        return [a for a in np.responds_to(doc) if self.about(a)]

    def verdicts(self, annotation: str) -> list[Verdict]:
        found = []
        for response in self.answers.get(annotation, []):
            doc = self.docs.get(response)
            verdict = np.verdict_of(doc) if doc else None
            if verdict is not None:
                made = str(doc.get("created") or doc.get("modified") or "")
                found.append(Verdict(doc.get("creator") or {}, verdict, made))
        return found

    def status(self, annotation: str) -> tuple[str, list[Verdict], list[dict], list[dict]]:
        return np.status(self.docs[annotation], self.verdicts(annotation))

    def quads(self, annotation: str) -> tuple[set[Quad], set[Quad]]:
        """The graph's quads for ``annotation`` now: its own, and those of the view."""
        doc = self.docs.get(annotation)
        if doc is None:
            return set(), set()
        if np.run_of(doc) is not None:
            return set(np.analysis_quads(annotation, doc, self.objects.objects_of(doc))), set()
        objects = self.about(annotation)
        if objects:
            own = set(np.nanopub_quads(annotation, doc, objects))
            state, _, agree, contest = self.status(annotation)
            nanopub = np.iri(np.nanopub_iri(annotation))
            views = np.iri(np.VIEWS)
            own.add((nanopub, np.iri(np.ECHOES + "status"), np.literal(state), views))
            if not np.adopted(state, agree, contest):
                return own, set()
            assertion = f"{nanopub[1]}#assertion"
            said = [q for q in own if q[3] == np.iri(assertion)]
            derived = (
                np.iri(np.CURRENT),
                np.iri(np.PROV + "wasDerivedFrom"),
                np.iri(assertion),
                views,
            )
            return own, {*np.adopted_quads(said), derived}
        own = set()
        for answered in self.answered(annotation):
            target = np.nanopub_iri(answered)
            own |= set(np.nanopub_quads(annotation, doc, self.about(answered), target))
        return own, set()

    # --- changes -----------------------------------------------------------------------

    def affected(self, annotation: str) -> set[str]:
        """Annotations whose graphs depend on ``annotation``'s document."""
        found = {annotation, *self.answers.get(annotation, [])}
        for answered in self.answered(annotation):
            found.add(answered)
        return found

    def apply(self, entry: dict[str, Any]) -> tuple[list[Quad], list[Quad]]:
        """Take one change-feed entry; the quads to remove from the graph, and to add."""
        annotation = entry["id"]
        before = self.affected(annotation)
        self._forget(annotation)
        doc = entry.get("annotation")
        if isinstance(doc, dict) and not entry.get("gone"):
            self._learn(annotation, doc)
        return self.refresh(before | self.affected(annotation))

    def refresh(self, annotations: set[str]) -> tuple[list[Quad], list[Quad]]:
        removed: set[Quad] = set()
        added: set[Quad] = set()
        for annotation in annotations:
            own, viewed = self.quads(annotation)
            old_own = self.own.pop(annotation, set())
            old_viewed = self.viewed.pop(annotation, set())
            removed |= old_own - own
            added |= own - old_own
            for quad in old_viewed - viewed:
                self.counted[quad] -= 1
                if self.counted[quad] == 0:
                    del self.counted[quad]
                    removed.add(quad)
            for quad in viewed - old_viewed:
                self.counted[quad] += 1
                if self.counted[quad] == 1:
                    added.add(quad)
            if own:
                self.own[annotation] = own
            if viewed:
                self.viewed[annotation] = viewed
        # A quad that one annotation dropped and another added stays.
        return sorted(removed - added), sorted(added - removed)

    def _learn(self, annotation: str, doc: dict) -> None:
        self.docs[annotation] = doc
        for target in np.responds_to(doc):
            self.answers.setdefault(target, []).append(annotation)
        for obj in self.objects.objects_of(doc):
            self._listed(doc).setdefault(obj, []).append(annotation)

    def _forget(self, annotation: str) -> None:
        doc = self.docs.get(annotation)
        if doc is None:
            return
        for target in np.responds_to(doc):
            answers = self.answers.get(target, [])
            if annotation in answers:
                answers.remove(annotation)
        for obj in self.objects.objects_of(doc):
            listed = self._listed(doc).get(obj, [])
            if annotation in listed:
                listed.remove(annotation)
        del self.docs[annotation]

    def rebuilt(self, objects: np.ObjectIndex) -> list[Quad]:
        """The same annotations over the objects of a new data build: every quad of the
        graph afresh (for a new store), the policy's description included."""
        docs = self.docs
        self.__init__(objects)  # type: ignore[misc]
        for annotation, doc in docs.items():
            self._learn(annotation, doc)
        _, added = self.refresh(set(docs))
        return [*np.policy_quads(), *added]

    # --- what is said about an object --------------------------------------------------

    def public_interpretations(self) -> list[str]:
        """Every interpretation held (annotation IRIs, each once), in the order taken."""
        return list(dict.fromkeys(a for listed in self.of_object.values() for a in listed))

    def interpretations(self, obj: str) -> list[dict[str, Any]]:
        """Every public interpretation of the object ``obj``, oldest first, as the twin
        page, the notebook API and ``objects/<c>/<id>/interpretations`` show it."""
        return [self.describe(a) for a in self.of_object.get(obj, [])]

    def describe(self, annotation: str) -> dict[str, Any]:
        doc = self.docs[annotation]
        state, by, agree, contest = self.status(annotation)
        replies = []
        for response in self.answers.get(annotation, []):
            said = self.docs.get(response)
            text = np.text_of(said) if said else ""
            if said and text:
                replies.append(
                    {"creator": said.get("creator"), "text": text, "created": said.get("created")}
                )
        return {
            "id": np.nanopub_iri(annotation),
            "annotation": annotation,
            "creator": doc.get("creator"),
            "created": doc.get("created"),
            "modified": doc.get("modified"),
            "motivation": np.as_list(doc.get("motivation")),
            "text": np.text_of(doc),
            "confidence": doc.get("confidence"),
            "visibility": "public",
            "status": state,
            "status_by": [{"creator": v.creator, "verdict": v.verdict, "at": v.at} for v in by],
            "claims": [
                {
                    "property": c.relation.name,
                    "crm": np.CRM + c.relation.path[-1],
                    "words": c.relation.words,
                    "value": {"id": c.value, "label": c.label}
                    if c.relation.value == "iri"
                    else {"value": c.value, "label": c.label},
                }
                for c in np.claims(doc)
            ],
            "agree": agree,
            "contest": contest,
            "replies": replies,
            "adopted": np.adopted(state, agree, contest),
            "regions": np.image_regions(doc),
        }

    # --- the analyses that used an object ----------------------------------------------

    def analyses(self, obj: str) -> list[dict[str, Any]]:
        """The runs linked to the object ``obj`` by public ``linking`` annotations, oldest
        link first, as the twin page and ``objects/<c>/<id>/interpretations`` show them."""
        return [self.describe_analysis(a) for a in self.analyses_of.get(obj, [])]

    def describe_analysis(self, annotation: str) -> dict[str, Any]:
        doc = self.docs[annotation]
        run = np.run_of(doc) or {}
        return {
            "run": run.get("id"),
            "label": run.get("label"),
            "ran": run.get("created"),
            "annotation": annotation,
            "creator": doc.get("creator"),
            "created": doc.get("created"),
        }
