"""The changes feed: every contribution, withdrawal and maintainer's write, newest first.

Built from the provenance graph alone (the ledger of contributions and the records of
:mod:`.writes`), so the feed shows exactly what the store says happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..store.base import Store
from .ledger import contribution_triples, contributions_about, list_contributions
from .writes import recent_writes, writes_about

KIND_TITLES = {
    "contribution": "Contribution",
    "withdrawal": "Withdrawal",
    "update": "SPARQL Update",
    "put": "Graph Store PUT",
    "post": "Graph Store POST",
    "delete": "Graph Store DELETE",
}


@dataclass
class Change:
    """One entry of the feed."""

    id: str  # a stable IRI: the contribution graph (#withdrawal for its withdrawal) or the change record
    kind: str
    at: str
    by: str
    summary: str
    graph: str | None = None
    contribution: str | None = None

    @property
    def title(self) -> str:
        return f"{KIND_TITLES.get(self.kind, self.kind)} by {self.by}"

    def to_dict(self) -> dict:
        body = {
            "id": self.id,
            "kind": self.kind,
            "at": self.at,
            "by": self.by,
            "title": self.title,
            "summary": self.summary,
        }
        if self.graph:
            body["graph"] = self.graph
        if self.contribution:
            body["contribution"] = self.contribution
        return body


def list_changes(store: Store, limit: int = 100) -> list[Change]:
    """The newest ``limit`` changes of every kind, newest first."""
    changes = []
    for record in list_contributions(store):
        changes.append(
            Change(
                record.graph,
                "contribution",
                record.submitted,
                record.contributor,
                f"{record.triples} statement(s): {record.description}",
                record.graph,
                record.id,
            )
        )
        if record.withdrawn:
            changes.append(
                Change(
                    record.graph + "#withdrawal",
                    "withdrawal",
                    record.withdrawn,
                    record.withdrawn_by or "a maintainer",
                    f"contribution {record.id} withdrawn",
                    record.graph,
                    record.id,
                )
            )
    for write in recent_writes(store, limit):
        target = f" of <{write['graph']}>" if write.get("graph") else ""
        changes.append(
            Change(
                write["change"],
                write["kind"],
                write["at"],
                write["by"],
                f"{KIND_TITLES.get(write['kind'], write['kind'])}{target}",
                write.get("graph"),
            )
        )
    changes.sort(key=lambda change: (change.at, change.id), reverse=True)
    return changes[:limit]


def changes_about(store: Store, iri: str) -> list[dict]:
    """The changes that touched a resource, newest first, each with its diff (statements added and removed).

    Maintainers' writes carry their diff in the ledger; an accepted contribution's diff is
    what it added about the resource (its graph, as stored).
    """
    needle = f"<{iri}>"
    found = writes_about(store, iri)
    for record in contributions_about(store, iri):
        lines = ox.serialize(contribution_triples(store, record), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        added = [
            f"{line.rstrip().removesuffix('.').rstrip()} <{record.graph}> ."
            for line in lines.splitlines()
            if needle in line
        ]
        found.append(
            {
                "id": record.id,
                "change": record.graph,
                "kind": "contribution",
                "at": record.submitted,
                "by": record.contributor,
                "added": added,
                "removed": [],
            }
        )
    found.sort(key=lambda change: (change["at"], change["id"]), reverse=True)
    return found
