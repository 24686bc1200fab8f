"""Portal codes of units (H21, H21.227, 000.00.01.H22) and helpers to read them."""

from __future__ import annotations

import re

NATIONAL = "VN"
"""Parent code given to provinces (the portal's national list has no code of its own)."""

_PROVINCE = re.compile(r"^H\d{2}$")
_CODE = re.compile(r"^[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*$")


def is_unit_code(text: str) -> bool:
    """True for a plausible portal unit code: dot-separated alphanumeric segments."""
    return bool(_CODE.match(text))


def normalise_unit_code(text: str) -> str:
    """Strip blanks; the portal's codes are case-sensitive only in form, so upper-case the 'H' prefix."""
    code = text.strip()
    if len(code) >= 1 and code[0] == "h" and _PROVINCE.match("H" + code[1:3]):
        code = "H" + code[1:]
    return code


def province_of(code: str) -> str | None:
    """Province code of a unit code.

    ``H21`` → ``H21``; ``H21.227`` → ``H21``; ``000.00.01.H22`` → ``H22`` (the older 4-part form ends
    with the province); anything else → None.
    """
    parts = code.split(".")
    if _PROVINCE.match(parts[0]):
        return parts[0]
    if _PROVINCE.match(parts[-1]):
        return parts[-1]
    return None


def is_province_code(code: str) -> bool:
    return bool(_PROVINCE.match(code))


def default_parent(code: str, *, is_province: bool = False) -> str | None:
    """Parent implied by the code: a province's is the nation, ``H21.227``'s is ``H21``, and a unit under a
    district (before the 07/2025 reform) ``H53.05.01``'s is the district ``H53.05``.

    ``is_province`` says the unit is known to be a province although its code has the older 4-part form
    (the list service publishes one province as ``000.00.00.H37``).
    """
    if is_province or is_province_code(code):
        return NATIONAL
    parts = code.split(".")
    if len(parts) == 2 and _PROVINCE.match(parts[0]):
        return parts[0]
    if len(parts) == 3 and _PROVINCE.match(parts[0]):
        return ".".join(parts[:2])
    return province_of(code)
