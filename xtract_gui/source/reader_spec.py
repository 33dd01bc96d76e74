"""The datastore reader described for a copy worker process (``engine.ports.WorkerDisk``): the worker opens its
own connections and asks the engine's process for what only that process holds (a session cookie renewed by
a new login, an ESXi ticket per request)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .reader import Access, DatastoreFiles, FlatExtent, VSphereDiskReader


@dataclass(frozen=True)
class FilesSpec:
    """``DatastoreFiles`` without its credential source: a worker asks this process for ``access``/``renew``."""

    base_url: str
    datacenter: str
    datastore: str
    folder: str
    timeout: float
    retries: int
    access: Access | None  # a session cookie the worker may reuse until the server refuses it; None: ask per request

    def open(self, call: Callable[..., Any]) -> DatastoreFiles:
        state = {"access": self.access}

        def access(url: str) -> Access:
            cached = state["access"]
            return cached if cached is not None else call("access", url)  # type: ignore[no-any-return]

        def renew() -> None:
            state["access"] = call("renew") if self.access is not None else None

        return DatastoreFiles(self.base_url, self.datacenter, self.datastore, self.folder, access, renew=renew,
                              timeout=self.timeout, retries=self.retries)


@dataclass(frozen=True)
class ReaderSpec:
    """A ``VSphereDiskReader`` described for a copy worker (``engine.ports.WorkerDisk``)."""

    files: FilesSpec
    extents: tuple[FlatExtent, ...]
    capacity: int
    name: str

    def open(self, call: Callable[..., Any]) -> VSphereDiskReader:
        return VSphereDiskReader(self.files.open(call), list(self.extents), self.capacity, name=self.name)
