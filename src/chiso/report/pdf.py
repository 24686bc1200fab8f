"""letter.pdf through LibreOffice (``soffice --headless --convert-to pdf``) when it is installed.

Without it the letter is still complete as DOCX; the outcome carries a Vietnamese note saying how to get
LibreOffice, which the command line prints and writes beside the letter.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 180  # seconds; a first start of LibreOffice builds its profile
INSTALL = (
    "Cài LibreOffice rồi chạy lại lệnh: trên Debian/Ubuntu `sudo apt-get install libreoffice-writer-nogui "
    "fonts-liberation`; trên Windows/macOS tải tại https://www.libreoffice.org (lệnh soffice phải có trong PATH). "
    "Hoặc mở letter.docx bằng Word/LibreOffice và lưu thành PDF."
)


@dataclass(frozen=True)
class PdfOutcome:
    path: Path | None
    note: str | None = None


def find_office() -> str | None:
    """The LibreOffice command, if installed (``soffice`` or ``libreoffice``)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(docx: Path, office: str | None = None) -> PdfOutcome:
    """Convert ``docx`` to a PDF beside it; never raises for a missing or failing LibreOffice."""
    command = office or find_office()
    if command is None:
        return PdfOutcome(None, "Chưa tạo letter.pdf: không tìm thấy LibreOffice (lệnh soffice). " + INSTALL)
    target = docx.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="chiso-office-") as profile:
        args = [
            command,
            f"-env:UserInstallation={Path(profile).as_uri()}",  # a private profile: no clash with an open LibreOffice
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(docx.parent),
            str(docx),
        ]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return PdfOutcome(None, f"Chưa tạo letter.pdf: LibreOffice không chạy được ({exc}). " + INSTALL)
    if done.returncode != 0 or not target.is_file():
        detail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or [f"mã thoát {done.returncode}"]
        return PdfOutcome(None, f"Chưa tạo letter.pdf: LibreOffice báo lỗi ({detail[0]}).")
    return PdfOutcome(target)
