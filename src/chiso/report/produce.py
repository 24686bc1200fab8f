"""``produce``: the letter, its appendix, the PDF and the brief for one unit and period, written to a folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from chiso.domain.periods import Period
from chiso.errors import ChisoError
from chiso.report.brief import brief_text
from chiso.report.content import LetterContent, build_letter
from chiso.report.data import gather
from chiso.report.docx_writer import write_docx
from chiso.report.pdf import convert_to_pdf
from chiso.report.profile import LetterProfile, default_profile, load_profile
from chiso.report.xlsx_writer import write_xlsx
from chiso.workspace import Workspace

LETTER, APPENDIX, PDF, BRIEF = "letter.docx", "appendix.xlsx", "letter.pdf", "brief.txt"
PDF_NOTE = "letter.pdf.txt"


@dataclass(frozen=True)
class ReportRequest:
    unit: str
    period: Period
    out: Path
    source: str = "official"
    profile: str | None = None  # a shipped name or a YAML file; default: by the sender's kind
    issued: date | None = None  # the date written on the letter; default: today
    number: str = ""  # the registry number, usually left blank for the clerk
    pdf: bool = True


@dataclass
class ReportOutcome:
    letter: LetterContent
    profile: LetterProfile
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pdf_note: str | None = None


def produce(ws: Workspace, request: ReportRequest) -> ReportOutcome:
    if request.source not in ("official", "local"):
        raise ChisoError(f"Nguồn số liệu không hợp lệ: {request.source}", hint="Dùng --source official hoặc local.")
    data = gather(ws, request.unit, request.period, request.source)
    profile = load_profile(request.profile or default_profile(data.sender.kind))
    letter = build_letter(data, profile, issued=request.issued or date.today(), number=request.number)
    out = request.out
    if out.exists() and not out.is_dir():
        raise ChisoError(f"{out} không phải là thư mục", hint="--out nhận một thư mục; các tệp được ghi vào đó.")
    outcome = ReportOutcome(letter, profile, notes=list(letter.notes))
    docx = write_docx(letter, out / LETTER)
    outcome.files += [docx, write_xlsx(letter, out / APPENDIX)]
    stale = out / PDF_NOTE
    if request.pdf:
        pdf = convert_to_pdf(docx)
        if pdf.path is not None:
            outcome.files.append(pdf.path)
            stale.unlink(missing_ok=True)
        else:
            outcome.pdf_note = pdf.note
            stale.write_text((pdf.note or "") + "\n", encoding="utf-8")
            outcome.files.append(stale)
    brief = out / BRIEF
    brief.write_text(brief_text(letter), encoding="utf-8")
    outcome.files.append(brief)
    return outcome
