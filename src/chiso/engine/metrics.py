"""From a unit's summed counts to the inputs of the scoring code, metric by metric (docs/local-metrics.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chiso.engine.counts import UnitCounts, avg_days, online_numerator
from chiso.methodology.model import Metric
from chiso.scoring.score import MetricInput

INHERITED = ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL")
NO_DOSSIERS = "không có dữ liệu hồ sơ của đơn vị"
UNKNOWN_FLAG = "tệp dữ liệu không có thông tin này"


# Local extra measures are shown as monitor lines (no points) of the group they belong to.
MEASURE_METRICS = {
    "E_CERTIFIED_COPY_SHARE": (
        "MDSH",
        Metric.model_validate(
            {
                "code": "E_CERTIFIED_COPY_SHARE",
                "name": "Tỷ lệ hồ sơ chứng thực bản sao từ bản chính thực hiện điện tử",
                "max": 0,
                "rule": {"kind": "monitor"},
                "on_empty": "not_applicable",
                "definition": "hồ sơ chứng thực bản sao từ bản chính thực hiện điện tử / hồ sơ chứng thực bản sao",
                "numerator_label": "hồ sơ chứng thực điện tử",
                "denominator_label": "hồ sơ chứng thực bản sao",
                "improvement": "none",
                "evidence": {
                    "max": {"label": "assumed", "note": "chỉ tiêu theo dõi của địa phương, không tính điểm"},
                    "definition": {"label": "assumed"},
                    "rule": {"label": "assumed"},
                },
            }
        ),
    )
}


@dataclass(frozen=True)
class Measure:
    """A local extra measure (no points), e.g. the share of certified copies made electronically."""

    code: str
    numerator: int | None
    denominator: int | None


def _flag(num: int, den: int, known: int, *, note: str | None = None) -> MetricInput:
    if den > 0 and known == 0:
        return MetricInput(note=UNKNOWN_FLAG)
    return MetricInput(num, den, note=note)


def metric_inputs(
    c: UnitCounts,
    *,
    has_catalogue: bool,
    has_petitions: bool,
    inherited: Mapping[str, MetricInput] | None = None,
) -> dict[str, MetricInput]:
    """Every metric of dvcqg-live for one unit (absent ⇒ no data, never 0)."""
    out: dict[str, MetricInput] = {}
    for code in INHERITED:
        given = (inherited or {}).get(code)
        out[code] = given if given is not None else MetricInput(note="chưa có số liệu chính thức cấp tỉnh")
    if c.has_dossiers:
        n = c["n"]
        out["DOSSIER_SYNC"] = _flag(c["synced"], n, c["known_synced"])
        out["ON_TIME"] = MetricInput(c["on_time"], n)
        out["AVG_DAYS"] = MetricInput(avg_days(c["completed_seconds"], c["completed"]))
        out["RECEIVED"] = MetricInput(n)
        out["COMPLETED"] = MetricInput(c["completed"])
        sync_known = c["known_synced"] > 0
        out["ONLINE_DOSSIERS"] = MetricInput(
            online_numerator(c["online"], c["synced"], n, sync_known),
            n,
            note=None if sync_known else "chưa có thông tin đồng bộ: chỉ tính tỷ lệ hồ sơ trực tuyến",
        )
        out["ONLINE_ON_TIME"] = MetricInput(c["channel2_on_time"], c["channel2"])
        out["PAY_DOSSIERS"] = _flag(c["paid"], c["fee_bearing"], c["known_paid"])
        out["DOSSIER_RECEIVING_SATISFACTION"] = MetricInput(c["drs_ok"], n)
        out["ORIGINAL_RESULT_AVAILABLE"] = _flag(c["paper_e_result"], c["paper"], c["known_e_result"])
        out["SO_HOA_GIAY_TO_GIAI_QUYET"] = _flag(c["digitised_ok"], n, c["known_digitised"])
        out["REUSED_DIGITIZED_DATA"] = _flag(c["reused"], n, c["known_reused"])
        out["SYNCED_WITH_DVCQG_PERSONAL_STORAGE"] = _flag(c["personal_store"], n, c["known_personal_store"])
        out["CITIZEN_DATA_CONNECTED_DOSSIER"] = _flag(c["citizen_data"], n, c["known_citizen_data"])
        if c.communes == 0:
            out["ELECTRONIC_CERTIFIED_COPY"] = MetricInput(
                ratio_percent=100, note="đơn vị không có xã trực thuộc: Cổng tính tối đa"
            )
        else:
            out["ELECTRONIC_CERTIFIED_COPY"] = MetricInput(c["ecc_num"], c.communes)
    else:
        for code in (
            "DOSSIER_SYNC", "ON_TIME", "AVG_DAYS", "RECEIVED", "COMPLETED", "ONLINE_DOSSIERS", "ONLINE_ON_TIME",
            "PAY_DOSSIERS", "DOSSIER_RECEIVING_SATISFACTION", "ORIGINAL_RESULT_AVAILABLE",
            "SO_HOA_GIAY_TO_GIAI_QUYET", "REUSED_DIGITIZED_DATA", "SYNCED_WITH_DVCQG_PERSONAL_STORAGE",
            "CITIZEN_DATA_CONNECTED_DOSSIER", "ELECTRONIC_CERTIFIED_COPY",
        ):  # fmt: skip
            out[code] = MetricInput(note=NO_DOSSIERS)
    if has_catalogue and c.has_dossiers:
        out["FULL"] = MetricInput(c["full_num"], c["full_den"])
        out["HAS_ONLINE"] = MetricInput(c["ho_num"], c["ho_den"])
        out["PAY_FORMALITIES"] = MetricInput(c["payf_num"], c["fee_den"])
        out["PAY_PROVISION"] = MetricInput(c["payp_num"], c["fee_den"])
        out["CITIZEN_DATA_CONNECTED_FORMALITY"] = MetricInput(c["cit_num"], c["cit_den"])
    else:
        note = "chưa nạp danh mục thủ tục hành chính" if not has_catalogue else NO_DOSSIERS
        for code in ("FULL", "HAS_ONLINE", "PAY_FORMALITIES", "PAY_PROVISION", "CITIZEN_DATA_CONNECTED_FORMALITY"):
            out[code] = MetricInput(note=note)
    if has_petitions and c.has_dossiers:
        pn = c["p_n"]
        out["PETITION_CLASSIFICATION_TTHC"] = MetricInput(c["p_tthc"], pn)
        out["PETITION_CLASSIFICATION_STAFF"] = MetricInput(c["p_staff"], pn)
        out["PETITION_PROCESSING_ON_TIME"] = MetricInput(c["p_on_time"], pn)
        out["PETITION_HANDLING_SATISFACTION"] = MetricInput(c["p_satisfied"], pn)
    else:
        note = "chưa nạp dữ liệu phản ánh, kiến nghị" if not has_petitions else NO_DOSSIERS
        for code in ("PETITION_CLASSIFICATION_TTHC", "PETITION_CLASSIFICATION_STAFF", "PETITION_PROCESSING_ON_TIME",
                     "PETITION_HANDLING_SATISFACTION"):  # fmt: skip
            out[code] = MetricInput(note=note)
    return out


def measures(c: UnitCounts) -> dict[str, Measure]:
    """Local extra measures (no points)."""
    if not c.has_dossiers or (c["n"] > 0 and c["known_certified"] == 0):
        return {"E_CERTIFIED_COPY_SHARE": Measure("E_CERTIFIED_COPY_SHARE", None, None)}
    return {"E_CERTIFIED_COPY_SHARE": Measure("E_CERTIFIED_COPY_SHARE", c["e_certified_copies"], c["certified"])}
