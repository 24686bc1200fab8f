"""The letter from the local estimate: generated Gò Dầu data → ingest → report --source local."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from docx import Document

from chiso.domain.periods import Period
from chiso.generate import GenerateSpec, generate, write
from chiso.report.produce import ReportRequest, produce
from chiso.workspace import Workspace

GO_DAU = "000.00.37.H53"


def test_local_letter_is_marked_provisional_and_uses_local_targets(tmp_path: Path):
    files = write(generate(GenerateSpec(preset="go-dau-2023", dossiers=4000, seed=5)), tmp_path / "data", "csv")
    ws = Workspace(db=tmp_path / "t.duckdb")
    ws.ingest([Path(f.path) for f in files if Path(f.path).name != "manifest.json"])
    request = ReportRequest(GO_DAU, Period.parse("2023-05"), tmp_path / "out", source="local",
                            profile="go-dau-2023", issued=date(2023, 6, 2), pdf=False)  # fmt: skip
    outcome = produce(ws, request)
    text = "\n".join(p.text for p in Document(str(tmp_path / "out" / "letter.docx")).paragraphs)
    assert "số liệu tạm tính" in text.lower()
    assert "Chứng thực điện tử bản sao từ bản chính" in text  # the local target E_CERTIFIED_COPY_SHARE has figures
    brief = (tmp_path / "out" / "brief.txt").read_text(encoding="utf-8")
    assert "tạm tính" in brief.lower() and len(brief) <= 1200
    assert not any("E_CERTIFIED_COPY_SHARE" in note and "không có số liệu" in note for note in outcome.notes)
    ws.close()
