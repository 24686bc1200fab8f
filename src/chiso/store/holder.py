"""Who holds a DuckDB store: DuckDB allows one writing process per file and names the holder's PID when it refuses.

``describe`` turns DuckDB's lock error into a Vietnamese sentence that names the holder: ``chiso serve``, another
chiso command, or another program, read from ``/proc/<pid>/cmdline`` where the system has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LOCK_ERROR = re.compile(r"Conflicting lock is held in (?P<program>.*?)(?: \(PID (?P<pid>\d+)\))")
PROC = Path("/proc")


@dataclass(frozen=True)
class Holder:
    pid: int | None
    program: str  # the executable DuckDB names
    command: list[str]  # the holder's command line, when /proc shows it

    @property
    def is_chiso(self) -> bool:
        return self.chiso_args is not None

    @property
    def chiso_args(self) -> list[str] | None:
        """The arguments after ``chiso`` (script, ``-m chiso`` or ``chiso.cli``), or None for another program."""
        for i, arg in enumerate(self.command):
            if Path(arg).name == "chiso" or (arg == "chiso.cli" and i > 0 and self.command[i - 1] == "-m"):
                return self.command[i + 1 :]
        return None

    @property
    def is_server(self) -> bool:
        args = self.chiso_args
        return args is not None and "serve" in args


def parse_lock_error(message: str) -> Holder | None:
    """The holder named in DuckDB's 'Could not set lock on file' error, or None for another error."""
    found = LOCK_ERROR.search(message)
    if found is None:
        return None
    pid = int(found["pid"]) if found["pid"] else None
    return Holder(pid, found["program"], _command_line(pid) if pid else [])


def _command_line(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:  # no /proc (another system), or the process has just ended
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def describe(holder: Holder, store: str) -> tuple[str, str]:
    """(message, hint) in Vietnamese for a store that another process holds."""
    pid = f" (PID {holder.pid})" if holder.pid else ""
    if holder.is_server:
        return (
            f"Kho dữ liệu {store} đang được chiso serve{pid} giữ: trang web đang chạy trên kho này.",
            "Nạp tệp qua trang web (trang Tải dữ liệu), hoặc dừng chiso serve rồi chạy lại lệnh. Kho DuckDB chỉ "
            "cho một tiến trình mở; cần nhiều tiến trình cùng lúc thì dùng PostgreSQL (--db postgresql://…).",
        )
    if holder.is_chiso:
        shown = " ".join(["chiso", *(holder.chiso_args or [])])[:200]
        return (
            f"Kho dữ liệu {store} đang được một tiến trình chiso khác{pid} giữ: {shown}.",
            "Chờ lệnh đó chạy xong rồi chạy lại. Kho DuckDB chỉ cho một tiến trình mở; cần nhiều tiến trình cùng "
            "lúc thì dùng PostgreSQL (--db postgresql://…).",
        )
    shown = " ".join(holder.command)[:200] if holder.command else holder.program
    return (
        f"Kho dữ liệu {store} đang được một chương trình khác{pid} giữ: {shown}.",
        "Đóng chương trình đó rồi chạy lại. Kho DuckDB chỉ cho một tiến trình mở.",
    )
