"""The store setting (``memory``, a folder, ``sparql+http(s)://...``) parsed once, and ``open_store``.

Every place that needs to know where the graph lives (the build, the command line,
the server, the web app, contributions) asks this module, so a new kind of store is
one change here rather than a string test repeated through the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import MEMORY_NAMES, REMOTE_SCHEMES, store_kind
from ..errors import LoadError
from ..namespaces import Iris
from .base import Store

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["MEMORY_NAMES", "REMOTE_SCHEMES", "StoreSpec", "open_spec", "open_store", "store_spec"]


@dataclass(frozen=True)
class StoreSpec:
    """Where the graph lives: in memory, in a store folder, or at a remote SPARQL endpoint."""

    text: str
    kind: str  # "memory", "folder" or "remote"

    @classmethod
    def parse(cls, text: str | Path | None) -> StoreSpec:
        """Read a store setting; anything that is neither ``memory`` nor ``sparql+http(s)://`` is a folder."""
        text = str(text) if text is not None else "memory"
        return cls(text, store_kind(text))

    @property
    def is_memory(self) -> bool:
        return self.kind == "memory"

    @property
    def is_remote(self) -> bool:
        return self.kind == "remote"

    @property
    def is_folder(self) -> bool:
        return self.kind == "folder"

    @property
    def path(self) -> Path:
        """The store folder (only for a folder)."""
        return Path(self.text)

    @property
    def endpoint(self) -> str:
        """The SPARQL endpoint's http(s) URL (only for a remote store)."""
        return self.text[len("sparql+") :]

    @property
    def is_built(self) -> bool:
        """Whether a folder holds a built store (a remote or in-memory store counts as built)."""
        return not self.is_folder or (self.path / "db").is_dir()

    def require_built(self) -> None:
        """Refuse a folder that holds no built store, saying how to build one."""
        if not self.is_built:
            raise LoadError(
                f"there is no built store at {self.text}", hint=f"Run `coopgraph build --store {self.text}` first."
            )


def store_spec(settings: Settings) -> StoreSpec:
    """The store setting of ``settings``, parsed."""
    return StoreSpec.parse(settings.store)


def open_store(settings: Settings, *, read_only: bool = False, **options) -> Store:
    """Open the store the settings name: a plain embedded store (memory, folder) or the remote one.

    Remote stores get the credentials and update endpoint of the settings; ``options`` go
    to the backend (e.g. ``default_timeout``). Serving a folder goes through snapshots
    instead (:func:`coopgraph.web.services.open_serving_store`).
    """
    return open_spec(
        store_spec(settings),
        settings.iris,
        read_only=read_only,
        user=settings.store_user,
        password=settings.store_password,
        update_url=settings.store_update_url or None,
        **options,
    )


def open_spec(spec: StoreSpec | str | Path, iris: Iris, *, read_only: bool = False, **options) -> Store:
    """Open the store a specification names; ``options`` go to the remote backend only."""
    from .embedded import OxigraphStore

    spec = spec if isinstance(spec, StoreSpec) else StoreSpec.parse(spec)
    if spec.is_memory:
        return OxigraphStore(iris)
    if spec.is_remote:
        from .remote import RemoteStore

        return RemoteStore(iris, spec.endpoint, **options)
    return OxigraphStore(iris, spec.path, read_only=read_only)
