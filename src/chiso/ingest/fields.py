"""What each kind of file holds: our fields, their types, Vietnamese labels and the headings that name them.

Headings are compared folded (``chiso.formatting.fold``: no case, diacritics or punctuation), so one alias
covers 'Mã hồ sơ', 'MA_HO_SO' and 'mã hồ sơ'. The sync JSON's own field names are aliases too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chiso.formatting import fold


class FieldType(StrEnum):
    TEXT = "text"
    CODE = "code"  # identifier: no spaces
    DATE = "date"
    BOOL = "bool"
    INT = "int"
    DECIMAL = "decimal"
    CHANNEL = "channel"  # 1 trực tiếp, 2 trực tuyến, 3 bưu chính
    STATUS = "status"  # 1..10
    PAID = "paid"  # 1 DVCQG, 2 cổng tỉnh, else 0
    LEVELS = "levels"  # Tỉnh; Huyện; Xã
    KIND = "kind"  # unit kind
    PETITION_STATUS = "petition_status"
    CATEGORY = "category"
    TIME_UNIT = "time_unit"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    label: str  # Vietnamese, for messages
    headings: tuple[str, ...]
    required: bool = False

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(h) for h in (self.name, *self.headings))


def _f(name: str, type_: FieldType, label: str, *headings: str, required: bool = False) -> Field:
    return Field(name, type_, label, headings, required)


DOSSIER_FIELDS = (
    _f("dossier_code", FieldType.CODE, "Mã hồ sơ", "Mã hồ sơ", "MaHoSo", "Số hồ sơ", "Mã HS", required=True),
    _f("unit_code", FieldType.CODE, "Mã đơn vị", "Mã đơn vị", "MaDonVi", "MaDinhDanhDonVi", "Mã định danh đơn vị",
       "Mã cơ quan", "MaDinhDanhDV", required=True),
    _f("unit_name", FieldType.TEXT, "Đơn vị xử lý", "Đơn vị xử lý", "DonViXuLy", "Tên đơn vị", "Cơ quan xử lý"),
    _f("procedure_code", FieldType.CODE, "Mã thủ tục", "Mã thủ tục", "MaTTHC", "Mã TTHC", "Mã thủ tục hành chính",
       required=True),
    _f("procedure_name", FieldType.TEXT, "Tên thủ tục", "Tên thủ tục", "TenTTHC", "Tên TTHC", "Tên thủ tục hành chính"),
    _f("field_code", FieldType.CODE, "Mã lĩnh vực", "Mã lĩnh vực", "MaLinhVuc"),
    _f("channel", FieldType.CHANNEL, "Kênh nộp", "Kênh nộp", "KenhThucHien", "Hình thức nộp", "Kênh thực hiện"),
    _f("applicant_type", FieldType.INT, "Loại đối tượng", "Loại đối tượng", "LoaiDoiTuong"),
    _f("submitted_at", FieldType.DATE, "Ngày nộp", "Ngày nộp", "NgayNopHoSo", "Ngày nộp hồ sơ"),
    _f("received_at", FieldType.DATE, "Ngày tiếp nhận", "Ngày tiếp nhận", "NgayTiepNhan", "Ngày nhận"),
    _f("due_at", FieldType.DATE, "Ngày hẹn trả", "Ngày hẹn trả", "NgayHenTra", "Hẹn trả"),
    _f("finished_at", FieldType.DATE, "Ngày kết thúc xử lý", "Ngày kết thúc xử lý", "NgayKetThucXuLy",
       "Ngày hoàn thành", "Ngày xử lý xong", "Ngày có kết quả"),
    _f("returned_at", FieldType.DATE, "Ngày trả kết quả", "Ngày trả kết quả", "NgayTra", "Ngày trả"),
    _f("rejected_at", FieldType.DATE, "Ngày từ chối", "Ngày từ chối", "NgayTuChoi"),
    _f("status", FieldType.STATUS, "Trạng thái", "Trạng thái", "TrangThaiHoSo", "Tình trạng", required=True),
    _f("supplement_count", FieldType.INT, "Số lần yêu cầu bổ sung", "Số lần yêu cầu bổ sung", "Số lần bổ sung",
       "SoLanBoSung"),
    _f("supplement_first_at", FieldType.DATE, "Ngày yêu cầu bổ sung đầu tiên", "Ngày yêu cầu bổ sung đầu tiên",
       "Ngày yêu cầu bổ sung", "NgayYeuCauBoSung"),
    _f("paused_hours", FieldType.DECIMAL, "Thời gian tạm dừng (giờ)", "Thời gian tạm dừng (giờ)",
       "Thời gian tạm dừng", "ThoiGianTamDung"),
    _f("digitised", FieldType.BOOL, "Số hóa thành phần", "Số hóa thành phần", "HoSoCoThanhPhanSoHoa", "Đã số hóa",
       "Số hóa"),
    _f("reused", FieldType.BOOL, "Tái sử dụng", "Tái sử dụng", "DuocTaiSuDung", "Tái sử dụng dữ liệu"),
    _f("from_personal_store", FieldType.BOOL, "Lấy từ kho dữ liệu", "Lấy từ kho dữ liệu", "DuocLayTuKhoDMQG",
       "Lấy từ kho DMQG"),
    _f("result_to_personal_store", FieldType.BOOL, "Đồng bộ kho cá nhân", "Đồng bộ kho cá nhân",
       "DongBoKhoDuLieuCaNhan"),
    _f("vneid", FieldType.BOOL, "Xác thực VNeID", "Xác thực VNeID", "TaiKhoanDuocXacThucVoiVNeID", "VNeID"),
    _f("citizen_db", FieldType.BOOL, "Kết nối CSDL dân cư", "Kết nối CSDL dân cư", "KetNoiCSDLDanCu"),
    _f("paid_online", FieldType.PAID, "Thanh toán trực tuyến", "Thanh toán trực tuyến", "DuocThanhToanTrucTuyen",
       "TTTT"),
    _f("fee_total", FieldType.DECIMAL, "Phí, lệ phí", "Phí, lệ phí", "Phí lệ phí", "Lệ phí", "Phí", "TongPhi"),
    _f("fee_items", FieldType.INT, "Số khoản phí", "Số khoản phí"),
    _f("e_result", FieldType.BOOL, "Kết quả điện tử", "Kết quả điện tử", "CoKetQuaDienTu", "Có kết quả điện tử"),
    _f("synced", FieldType.BOOL, "Đồng bộ DVCQG", "Đồng bộ DVCQG", "TrangThaiDongBoDVC", "Đã đồng bộ"),
    _f("certified_copy", FieldType.BOOL, "Hồ sơ chứng thực", "Hồ sơ chứng thực", "LaHoSoChungThuc"),
    _f("e_certified", FieldType.BOOL, "Chứng thực điện tử", "Chứng thực điện tử", "DaChungThucDienTu"),
    _f("dissatisfied", FieldType.BOOL, "Không hài lòng", "Không hài lòng", "KhongHaiLong", "Đánh giá không hài lòng"),
)  # fmt: skip

STEP_FIELDS = (
    _f("dossier_code", FieldType.CODE, "Mã hồ sơ", "Mã hồ sơ", "MaHoSo", required=True),
    _f("status", FieldType.STATUS, "Trạng thái", "Trạng thái", "TrangThai", required=True),
    _f("at", FieldType.DATE, "Thời điểm xử lý", "Thời điểm xử lý", "ThoiDiemXuLy", "Ngày xử lý", required=True),
    _f("department", FieldType.TEXT, "Phòng ban xử lý", "Phòng ban xử lý", "PhongBanXuLy"),
)

PROCEDURE_FIELDS = (
    _f("procedure_code", FieldType.CODE, "Mã thủ tục", "Mã thủ tục", "MaTTHC", "Mã TTHC", required=True),
    _f("name", FieldType.TEXT, "Tên thủ tục", "Tên thủ tục", "TenTTHC", "Tên TTHC", required=True),
    _f("field_code", FieldType.CODE, "Mã lĩnh vực", "Mã lĩnh vực", "MaLinhVuc"),
    _f("field_name", FieldType.TEXT, "Tên lĩnh vực", "Tên lĩnh vực", "Lĩnh vực", "TenLinhVuc"),
    _f("levels", FieldType.LEVELS, "Cấp thực hiện", "Cấp thực hiện", "CapThucHien"),
    _f("online_level", FieldType.INT, "Mức độ", "Mức độ", "Mức độ DVC", "MucDo"),
    _f("full_online_eligible", FieldType.BOOL, "Đủ điều kiện toàn trình", "Đủ điều kiện toàn trình"),
    _f("has_fee", FieldType.BOOL, "Có phí", "Có phí", "Có phí, lệ phí"),
    _f("fee_amount", FieldType.DECIMAL, "Mức phí", "Mức phí", "Phí, lệ phí"),
    _f("paper_result", FieldType.BOOL, "Kết quả là giấy tờ", "Kết quả là giấy tờ", "Kết quả giấy"),
    _f("processing_time", FieldType.DECIMAL, "Thời hạn giải quyết", "Thời hạn giải quyết", "ThoiGianGiaiQuyet"),
    _f("time_unit", FieldType.TIME_UNIT, "Đơn vị thời hạn", "Đơn vị thời hạn", "Đơn vị tính", "DonViTinh"),
    _f("citizen_target", FieldType.BOOL, "Đối tượng cá nhân", "Đối tượng cá nhân", "Đối tượng là cá nhân"),
)  # fmt: skip

UNIT_FIELDS = (
    _f("unit_code", FieldType.CODE, "Mã đơn vị", "Mã đơn vị", "MaDonVi", "Mã cơ quan", "MA_COQUAN", required=True),
    _f("unit_name", FieldType.TEXT, "Tên đơn vị", "Tên đơn vị", "TenDonVi", "Tên cơ quan", "TEN", required=True),
    _f("kind", FieldType.KIND, "Loại", "Loại", "Loại đơn vị", "Cấp"),
    _f("parent_code", FieldType.CODE, "Mã đơn vị cha", "Mã đơn vị cha", "MaDonViCha", "Đơn vị cha"),
)  # fmt: skip

PETITION_FIELDS = (
    _f("petition_code", FieldType.CODE, "Mã PAKN", "Mã PAKN", "Mã phản ánh", "MaPAKN", required=True),
    _f("unit_code", FieldType.CODE, "Mã đơn vị", "Mã đơn vị", "MaDonVi", required=True),
    _f("received_at", FieldType.DATE, "Ngày tiếp nhận", "Ngày tiếp nhận", "NgayTiepNhan", required=True),
    _f("due_at", FieldType.DATE, "Hạn xử lý", "Hạn xử lý", "HanXuLy"),
    _f("handled_at", FieldType.DATE, "Ngày xử lý xong", "Ngày xử lý xong", "NgayXuLy"),
    _f("status", FieldType.PETITION_STATUS, "Trạng thái", "Trạng thái", "TrangThai"),
    _f("category", FieldType.CATEGORY, "Phân loại", "Phân loại", "PhanLoai"),
    _f("likes", FieldType.INT, "Số lượt hài lòng", "Số lượt hài lòng", "Hài lòng", "Like"),
    _f("dislikes", FieldType.INT, "Số lượt không hài lòng", "Số lượt không hài lòng", "Không hài lòng", "Dislike"),
    _f("reraised", FieldType.BOOL, "Phản ánh lại", "Phản ánh lại", "PhanAnhLai"),
)  # fmt: skip

KIND_FIELDS = {
    "dossiers": DOSSIER_FIELDS,
    "steps": STEP_FIELDS,
    "procedures": PROCEDURE_FIELDS,
    "units": UNIT_FIELDS,
    "petitions": PETITION_FIELDS,
}
KIND_LABELS = {
    "dossiers": "hồ sơ",
    "steps": "quá trình xử lý",
    "procedures": "thủ tục hành chính",
    "units": "đơn vị",
    "petitions": "phản ánh, kiến nghị",
}

# Columns never kept (personal data, decision 0004): folded headings.
PERSONAL = {
    fold(h)
    for h in (
        "ChuHoSo", "Chủ hồ sơ", "Họ tên", "Người nộp", "SoGiayToChuHoSo", "Số giấy tờ", "CCCD", "CMND",
        "Số định danh", "DinhDanhCHS", "MaDoiTuong", "Email", "SoDienThoai", "Số điện thoại", "Điện thoại",
        "Fax", "Địa chỉ", "DiaChi", "ThongTinKhac", "NguoiXuLy", "Người xử lý", "TrichYeuHoSo", "Trích yếu",
    )
}  # fmt: skip


def match_headings(headings: list[str], fields: tuple[Field, ...], mapping: dict[str, str] | None = None
                   ) -> tuple[dict[str, int], list[str], list[str]]:  # fmt: skip
    """Column index of each field found; unknown headings; dropped personal headings."""
    by_heading: dict[str, str] = {}
    for f in fields:
        for h in f.folded:
            by_heading.setdefault(h, f.name)
    for theirs, ours in (mapping or {}).items():
        by_heading[fold(theirs)] = ours
    found: dict[str, int] = {}
    unknown: list[str] = []
    personal: list[str] = []
    for i, heading in enumerate(headings):
        key = fold(heading)
        if key in PERSONAL:
            personal.append(str(heading))
        elif key in by_heading and by_heading[key] not in found:
            found[by_heading[key]] = i
        elif key:
            unknown.append(str(heading))
    return found, unknown, personal


def score_headings(headings: list[str], fields: tuple[Field, ...]) -> int:
    """How many required fields of a kind the headings name (to recognise a file's kind)."""
    found, _, _ = match_headings(headings, fields)
    return sum(1 for f in fields if f.required and f.name in found) * 10 + len(found)
