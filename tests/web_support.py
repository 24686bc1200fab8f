"""Helpers for the web tests: a store with the real samples and one user per role, clients that log in."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient

from chiso.accounts import Accounts
from chiso.web import WebOptions, create_app
from chiso.workspace import Workspace

PASSWORD = "mat-khau-thu-nghiem"
# name → (role, unit)
USERS = {
    "quantri": ("admin", None),
    "vanphong": ("staff", "H21"),
    "vancanh": ("viewer", "H21.227"),  # a commune of Gia Lai
    "gialai": ("viewer", "H21"),  # the province: its agencies and communes
    "sonoivu": ("viewer", "H01.01"),  # an agency of An Giang
}


def prepare(real_db: Path, target: Path) -> Path:
    shutil.copy(real_db, target)
    ws = Workspace(db=target)
    accounts = Accounts(ws)
    for name, (role, unit) in USERS.items():
        accounts.save(name, role=role, unit=unit, password=PASSWORD, by="test")
    ws.close()
    return target


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def make_client(db: Path, data_dir: Path, **options) -> TestClient:
    app = create_app(WebOptions(db=str(db), data_dir=data_dir, **options))
    return TestClient(app, follow_redirects=False)


def login(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf": csrf_of(page.text), "next": "/"}
    )
    assert response.status_code == 303, response.text
    return client


def page_csrf(client: TestClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


# -- a small local dataset under Gia Lai (dates relative to now, so that 'due soon' has something to show) -----
LOCAL_UNITS = """Mã đơn vị,Tên đơn vị,Loại,Mã đơn vị cha
H21,UBND tỉnh Gia Lai,tỉnh,
H21.227,UBND xã Vân Canh,xã,H21
H21.228,UBND xã Canh Vinh,xã,H21
H21.19,Sở Y tế - tỉnh Gia Lai,sở,H21
"""
LOCAL_PROCS = (
    "Mã thủ tục,Tên thủ tục,Cấp thực hiện,Mức độ,Đủ điều kiện toàn trình,Có phí,Kết quả là giấy tờ,"
    "Thời hạn giải quyết,Đơn vị thời hạn,Đối tượng cá nhân\n"
    "P1,Đăng ký khai sinh,Xã,4,Có,Không,Có,3,Ngày làm việc,Có\n"
    "P2,Chứng thực bản sao,Xã,3,Có,Có,Có,1,Ngày làm việc,Có\n"
    "P3,Cấp giấy phép hành nghề,Tỉnh,3,Không,Có,Có,15,Ngày làm việc,Có\n"
)
LOCAL_HEAD = (
    "Mã hồ sơ,Mã đơn vị,Mã thủ tục,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày kết thúc xử lý,Trạng thái,"
    "Số lần yêu cầu bổ sung,Ngày yêu cầu bổ sung đầu tiên,Thời gian tạm dừng (giờ),Kết quả điện tử,"
    'Thanh toán trực tuyến,"Phí, lệ phí",Đồng bộ DVCQG,Số hóa thành phần,Hồ sơ chứng thực,Chứng thực điện tử,'
    "Không hài lòng\n"
)


def local_files(folder: Path, now: datetime | None = None) -> list[Path]:
    """units.csv, procedures.csv and dossiers.csv: on-time, late, overdue and due-soon dossiers of 3 units."""
    from datetime import timedelta

    from chiso.domain.times import VN_TZ

    now = (now or datetime.now(VN_TZ)).astimezone(VN_TZ)

    def t(days: float = 0, hours: float = 0) -> str:
        return (now + timedelta(days=days, hours=hours)).strftime("%d/%m/%Y %H:%M")

    rows = [
        # code, unit, procedure, channel, received, due, finished, status, then flags
        f"VC-1,H21.227,P1,2,{t(-2)},{t(-1)},{t(-1.5)},10,0,,,1,0,0,1,1,0,0,0",  # on time
        f"VC-2,H21.227,P1,1,{t(-2)},{t(-1.5)},{t(-1)},10,0,,,0,0,0,1,0,0,0,1",  # late
        f"VC-3,H21.227,P2,1,{t(-2)},{t(-1)},,4,0,,,0,0,2000,1,0,1,0,0",  # open, overdue
        f"VC-4,H21.227,P2,2,{t(-2)},{t(hours=3)},,4,0,,,0,0,2000,1,1,1,1,0",  # open, due soon
        f"VC-5,H21.227,P1,2,{t(-2)},{t(20)},,4,0,,,0,0,0,1,1,0,0,0",  # open, far from due
        f"CV-1,H21.228,P1,1,{t(-2)},{t(-1.5)},{t(-1)},10,0,,,0,0,0,1,0,0,0,0",  # late
        f"CV-2,H21.228,P1,1,{t(-2)},{t(-1)},,4,0,,,0,0,0,1,0,0,0,0",  # open, overdue
        f"YT-1,H21.19,P3,1,{t(-2)},{t(10)},,4,0,,,0,0,500000,1,0,0,0,0",  # open
    ]
    folder.mkdir(parents=True, exist_ok=True)
    units = folder / "don-vi.csv"
    procs = folder / "thu-tuc.csv"
    dossiers = folder / "ho-so.csv"
    units.write_text(LOCAL_UNITS, encoding="utf-8")
    procs.write_text(LOCAL_PROCS, encoding="utf-8")
    dossiers.write_text(LOCAL_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    return [units, procs, dossiers]
