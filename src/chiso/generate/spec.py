"""What to generate: the spec, the presets and the period they resolve to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chiso.errors import ChisoError

PRESETS = {
    "go-dau-2023": "Huyện Gò Dầu (Tây Ninh), 01/01–31/5/2023, số liệu chốt 16 giờ 30 ngày 31/5/2023",
    "province-2025": "Một tỉnh, thành phố sau sắp xếp năm 2025 (--province, mặc định H21 Gia Lai), cả năm 2025",
}
FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class GenerateSpec:
    """Parameters of one synthetic data set. Same spec ⇒ same data, byte for byte.

    Attributes:
        preset: ``go-dau-2023`` or ``province-2025``.
        province: for ``province-2025``: the portal code, slug or GSO code of the province (default H21).
        dossiers: total number of dossiers; None = the preset's natural volume (units' monthly volumes × months).
        start, end: first and last day of the period (Vietnam dates); None = the preset's.
        cutoff: the moment the data are taken (Vietnam local time, naive); None = the preset's (16:30 on the last
            day for ``go-dau-2023``, the end of the last day otherwise). Dossiers are received before it, and their
            state is the state at that moment.
        seed: the random seed.
        steps: also make the progress steps (``CapNhatTienDoHoSoMC``).
        petitions: also make petitions (PAKN).
        bad_rows: share of dossier rows made faulty on purpose (bad date, unknown status, finished before received,
            missing code), to exercise ingest's reject report.
    """

    preset: str = "go-dau-2023"
    province: str | None = None
    dossiers: int | None = None
    start: date | None = None
    end: date | None = None
    cutoff: datetime | None = None
    seed: int = 7
    steps: bool = False
    petitions: bool = True
    bad_rows: float = 0.0

    def validate(self) -> None:
        if self.preset not in PRESETS:
            raise ChisoError(
                f"Không có bộ mẫu '{self.preset}'.", hint="Dùng một trong: " + ", ".join(PRESETS)
            )
        if self.dossiers is not None and self.dossiers < 0:
            raise ChisoError("Số hồ sơ phải là số không âm.", detail=f"dossiers={self.dossiers}")
        if not 0.0 <= self.bad_rows <= 0.5:
            raise ChisoError(
                "Tỷ lệ dòng lỗi phải từ 0 đến 0,5.", detail=f"bad_rows={self.bad_rows}", hint="Ví dụ: --bad-rows 0.001"
            )
        if self.province and self.preset != "province-2025":
            raise ChisoError("--province chỉ dùng với bộ mẫu province-2025.", detail=f"preset={self.preset}")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    cutoff: datetime  # Vietnam local, naive

    @property
    def months(self) -> float:
        return max((self.cutoff - datetime.combine(self.start, time())).total_seconds() / 86400 / 30.4375, 1 / 30)


def resolve_period(spec: GenerateSpec) -> Period:
    if spec.preset == "go-dau-2023":
        start, end, hour = date(2023, 1, 1), date(2023, 5, 31), time(16, 30)
    else:
        start, end, hour = date(2025, 1, 1), date(2025, 12, 31), time(23, 59, 59)
    if spec.start is not None or spec.end is not None:
        hour = time(23, 59, 59)
    start = spec.start or start
    end = spec.end or end
    if spec.cutoff is not None:
        cutoff = spec.cutoff.replace(tzinfo=None)
        if spec.end is None:
            end = cutoff.date()
    else:
        cutoff = datetime.combine(end, hour)
    if end < start:
        raise ChisoError(
            f"Kỳ không hợp lệ: ngày cuối {end:%d/%m/%Y} trước ngày đầu {start:%d/%m/%Y}.",
            hint="Dùng --from NGÀY --to NGÀY với ngày đầu trước ngày cuối.",
        )
    if cutoff < datetime.combine(start, time()) or cutoff > datetime.combine(end + timedelta(days=1), time()):
        raise ChisoError(
            f"Thời điểm chốt số liệu {cutoff:%H:%M %d/%m/%Y} nằm ngoài kỳ {start:%d/%m/%Y}–{end:%d/%m/%Y}."
        )
    if not date(2000, 1, 1) <= start <= date(2099, 12, 31):
        raise ChisoError(f"Kỳ ngoài phạm vi hỗ trợ (2000–2099): {start:%d/%m/%Y}.")
    return Period(start, end, cutoff)
