"""Errors that reach users.

Every error carries a Vietnamese message for the user, an optional technical detail (English or raw), an
optional hint (what to do) and the exit code the command line returns. The CLI prints these and never a
traceback.
"""

from __future__ import annotations


class ChisoError(Exception):
    """Root of every error chiso reports to a user."""

    exit_code: int = 2

    def __init__(self, message: str, *, detail: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.message]
        if self.detail:
            parts.append(f"({self.detail})")
        return " ".join(parts)


class InputFileError(ChisoError):
    """A file that cannot be read or does not have an expected shape; refused as a whole."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        place: str | None = None,
        expected: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail, hint=hint)
        self.file = file
        self.place = place
        self.expected = expected


class MethodologyError(ChisoError):
    """A methodology or targets file that does not validate."""

    def __init__(self, message: str, *, issues: list[str] | None = None, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.issues = issues or []


class UnknownUnitError(ChisoError):
    """A unit code that the store does not know."""


class AmbiguousUnitError(UnknownUnitError):
    """A unit name that fits several units: the message lists them, ``candidates`` holds their codes."""

    def __init__(self, message: str, *, candidates: tuple[str, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.candidates = candidates


class PeriodError(ChisoError):
    """A period that cannot be parsed or has no data."""


class StoreError(ChisoError):
    """The store cannot be opened or written."""


class NoDataError(ChisoError):
    """The store has nothing for the request (e.g. no snapshot for a period)."""
