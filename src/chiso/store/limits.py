"""What the store's column types can hold, so that readers refuse a value per row or per file instead of the
database refusing the whole insert (a number too large for its column)."""

from __future__ import annotations

from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt

from chiso.store.tables import NUM, TABLES


def maximum(dtype: dt.DataType) -> int | Decimal | None:
    """The largest value of an integer or decimal column type; None for other types."""
    if dtype.is_integer():
        return int(dtype.bounds.upper)
    if dtype.is_decimal():
        scale = dtype.scale or 0
        return Decimal(10) ** ((dtype.precision or 18) - scale) - Decimal(10) ** -scale
    return None


NUM_MAX: Decimal = maximum(ibis.dtype(NUM))  # type: ignore[assignment]  # published numbers, amounts
NUM_PLACES = Decimal(10) ** -(ibis.dtype(NUM).scale or 0)  # type: ignore[attr-defined]


def column_maximum(table: str, column: str) -> int | Decimal | None:
    """The largest value ``table.column`` holds (None when it is not a number column or does not exist)."""
    schema = TABLES[table]
    return maximum(schema[column]) if column in schema.names else None
