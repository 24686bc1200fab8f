"""The unit tree of one store, built once per data version, and the mapping file's import."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from chiso.domain.unittree import UnitTree
from chiso.store.connection import Store
from chiso.unitmap import lines, sources
from chiso.unitmap.mapfile import MappingFile, mapping_csv, read_line, read_mapping


@dataclass(frozen=True)
class LinkOutcome:
    file: MappingFile
    links_written: int
    overrides_written: int


class UnitDirectory:
    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, ...], UnitTree] | None = None

    def version(self) -> tuple[int, ...]:
        return sources.data_version(self._store())

    def tree(self) -> UnitTree:
        """The tree of the store's current data (rebuilt when imports, ingests or mapping lines changed it)."""
        version = self.version()
        with self._lock:
            if self._cached is not None and self._cached[0] == version:
                return self._cached[1]
        store = self._store()
        tree = UnitTree.build(sources.records(store), lines.links(store), lines.overrides(store))
        with self._lock:
            self._cached = (version, tree)
        return tree

    def save(
        self, link_changes: Iterable[lines.LinkChange], override_changes: Iterable[lines.OverrideChange], *,
        by: str, source: str,
    ) -> tuple[int, int]:  # fmt: skip
        return lines.save(self._store(), link_changes, override_changes, by=by, source=source)

    def link_file(self, path: Path, *, by: str = "cli") -> LinkOutcome:
        """Apply a mapping file: the lines that change something are saved together; refused lines are listed."""
        parsed = read_mapping(path)
        written = self.save(parsed.links, parsed.overrides, by=by, source=path.name)
        return LinkOutcome(parsed, *written)

    def edit(self, cell: dict[str, str], *, by: str) -> LinkOutcome:
        """One line of the mapping file typed by an administrator (the web page): checked and saved the same way."""
        parsed = read_line(cell)
        written = self.save(parsed.links, parsed.overrides, by=by, source="web") if not parsed.rejected else (0, 0)
        return LinkOutcome(parsed, *written)

    def mapping_csv(self) -> str:
        """The mapping file of the current tree, one line per unit (``chiso units --mapping``)."""
        return mapping_csv(self.tree())
