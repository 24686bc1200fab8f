"""One typed settings object. Precedence: command-line flag > ``CHISO_*`` environment > ``chiso.toml`` > default.

``chiso.toml`` is read from the working directory (or the file named by ``CHISO_CONFIG``); every key below may
appear in it, e.g.::

    db = "data/chiso.duckdb"
    tolerance = 0.01
    bands = [90, 80, 70, 50]
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chiso.errors import ChisoError
from chiso.xlsxfile import XlsxLimits


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    db: str = Field("chiso.duckdb", description="DuckDB file, a postgresql:// URL or a Spark URL (docs/scale.md)")
    tolerance: Decimal = Field(Decimal("0.01"), ge=0, description="accepted difference when verifying scores")
    bands: tuple[Decimal, Decimal, Decimal, Decimal] = Field(
        (Decimal(90), Decimal(80), Decimal(70), Decimal(50)),
        description="lower bounds of Xuất sắc, Tốt, Khá, Trung bình (below the last: Yếu)",
    )
    methodology: str | None = Field(None, description="force a methodology instead of choosing by period")
    office_hours: str = Field("07:00-11:30,13:30-17:00", description="office sessions for deadlines (local time)")
    on_time_rule: str = Field("portal", pattern="^(portal|date|session)$", description="on-time comparison rule")
    saturday_working: bool = Field(False, description="the one-stop desk works on Saturdays")
    # input limits (decision 0007): an XLSX is checked before it is parsed
    xlsx_max_mb: int = Field(300, ge=1, description="largest uncompressed size of an XLSX workbook, in MB")
    xlsx_max_rows: int = Field(500_000, ge=1, description="most rows of one XLSX sheet")

    @property
    def xlsx_limits(self) -> XlsxLimits:
        return XlsxLimits(max_bytes=self.xlsx_max_mb * 1024 * 1024, max_rows=self.xlsx_max_rows)

    @field_validator("bands", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(x.strip() for x in value.split(","))
        return value


ENV = {
    "db": "CHISO_DB",
    "tolerance": "CHISO_TOLERANCE",
    "bands": "CHISO_BANDS",
    "methodology": "CHISO_METHODOLOGY",
    "office_hours": "CHISO_OFFICE_HOURS",
    "on_time_rule": "CHISO_ON_TIME_RULE",
    "xlsx_max_mb": "CHISO_XLSX_MAX_MB",
    "xlsx_max_rows": "CHISO_XLSX_MAX_ROWS",
}


def load_settings(**overrides: Any) -> Settings:
    """Settings from file, environment and the given overrides (None overrides are ignored)."""
    values: dict[str, Any] = {}
    config = Path(os.environ.get("CHISO_CONFIG", "chiso.toml"))
    if config.is_file():
        try:
            values.update(tomllib.loads(config.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ChisoError(f"Không đọc được tệp cấu hình {config}", detail=str(exc)) from exc
    for key, var in ENV.items():
        if os.environ.get(var):
            values[key] = os.environ[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ChisoError(
            "Cấu hình không hợp lệ",
            detail="; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
            hint=f"Kiểm tra {config} và các biến môi trường {', '.join(ENV.values())}.",
        ) from exc
