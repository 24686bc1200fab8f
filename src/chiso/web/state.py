"""What the running application holds: options, one workspace per worker thread, accounts, a result cache.

DuckDB connections are not shared between threads: each worker thread opens its own workspace on the same
store. Results (rankings, result sets, explanations) are cached until the data changes: the cache compares a
cheap 'data version' (files imported, ingest runs) at most every ``VERSION_SECONDS``, and writes made through
the application clear it at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from chiso.accounts import Accounts
from chiso.web.throttle import Throttle
from chiso.workspace import Workspace

T = TypeVar("T")


@dataclass
class WebOptions:
    db: str | None = None
    data_dir: Path | None = None  # uploads and generated letters; default: 'chiso-web' beside the store
    idle_minutes: float = 30  # a session unused this long expires
    max_hours: float = 12  # a session expires this long after login, used or not
    secure_cookies: bool = False  # set when served over HTTPS
    home: str | None = None  # the unit pages open on when a user has none


@dataclass
class Cache:
    entries: dict[Hashable, Any] = field(default_factory=dict)
    version: Any = None
    checked: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    computing: dict[Hashable, threading.Lock] = field(default_factory=dict)
    MAX_ENTRIES = 2048


class WebState:
    VERSION_SECONDS = 2.0

    def __init__(self, options: WebOptions) -> None:
        self.options = options
        self._local = threading.local()
        self.main = Workspace(db=options.db)
        self.accounts = Accounts(self.main)
        self.cache = Cache()
        self.write_lock = threading.Lock()
        self.local_lock = threading.RLock()
        self._local_ws: Workspace | None = None
        self.clock: Callable[[], float] = time.time  # tests move time forward to expire sessions
        self._all: list[Workspace] = [self.main]
        self._all_lock = threading.Lock()
        self._local.ws = self.main
        # failed logins per address, account and trusted device (chiso.web.throttle), on the same clock
        self.throttle = Throttle(lambda: self.clock())

    @property
    def data_dir(self) -> Path:
        if self.options.data_dir is not None:
            return Path(self.options.data_dir)
        target = self.main.settings.db
        if "://" in target:
            return Path("chiso-web").resolve()
        return Path(target).resolve().parent / "chiso-web"

    def ws(self) -> Workspace:
        """This thread's workspace (opened on first use)."""
        ws = getattr(self._local, "ws", None)
        if ws is None:
            ws = Workspace(db=self.options.db)
            self._local.ws = ws
            with self._all_lock:
                self._all.append(ws)
        return ws

    def close(self) -> None:
        with self._all_lock:
            for ws in self._all:
                ws.close()
            self._all.clear()

    # -- cache -------------------------------------------------------------------------------------------
    def _data_version(self) -> tuple[Any, ...]:
        ws = self.ws()
        parts: list[Any] = [len(ws.files())]
        history = getattr(ws, "ingest_history", None)
        if history is not None:
            runs = history()
            parts.append((len(runs), str(runs[0]) if runs else ""))
        directory = getattr(ws, "directory", None)
        if directory is not None:  # the unit tree's sources, mapping lines included (chiso units link)
            parts.append(directory.version())
        return tuple(parts)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per key until the data changes; concurrent requests for one key wait for it."""
        c = self.cache
        now = time.monotonic()
        if now - c.checked > self.VERSION_SECONDS:
            version = self._data_version()
            with c.lock:
                c.checked = now
                changed = version != c.version
                if changed:
                    c.entries.clear()
                    c.version = version
            if changed:
                self._drop_local()
        with c.lock:
            if key in c.entries:
                return c.entries[key]  # type: ignore[no-any-return]
            key_lock = c.computing.setdefault(key, threading.Lock())
        with key_lock:
            with c.lock:
                if key in c.entries:
                    return c.entries[key]  # type: ignore[no-any-return]
            value = compute()
            with c.lock:
                if len(c.entries) >= c.MAX_ENTRIES:
                    c.entries.clear()
                c.entries[key] = value
                c.computing.pop(key, None)
        return value

    def local(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a local-layer method on the one workspace that keeps the local runs (computed once, shared by
        every worker instead of once per thread); None-safe for versions without the local layer."""
        with self.local_lock:
            if self._local_ws is None:
                self._local_ws = Workspace(db=self.options.db)
                with self._all_lock:
                    self._all.append(self._local_ws)
            return getattr(self._local_ws, method)(*args, **kwargs)

    def invalidate(self) -> None:
        """After a write through the application: forget results, and the local runs of the shared workspace."""
        with self.cache.lock:
            self.cache.entries.clear()
            self.cache.checked = 0.0
        self._drop_local()

    def _drop_local(self) -> None:
        with self.local_lock:
            if self._local_ws is not None:
                self._local_ws.close()
                self._local_ws = None
