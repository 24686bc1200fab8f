"""``chiso report``: the monthly letter (DOCX, PDF), its appendix (XLSX) and the leader brief for one unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from chiso.cli.official_cmds import workspace
from chiso.cli.output import console, err_console, print_json
from chiso.domain.periods import Period
from chiso.errors import ChisoError
from chiso.report.content import number_text
from chiso.report.produce import ReportOutcome, ReportRequest, produce
from chiso.report.profile import available_profiles, load_profile, profile_text


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def _date(text: str | None) -> date | None:
    if not text:
        return None
    raw = text.strip()
    try:
        if "/" in raw:
            day, month, year = (int(x) for x in raw.split("/"))
            return date(year, month, day)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ChisoError(
            f"Ngày không hợp lệ: {text}", detail=str(exc), hint="Viết 2023-06-02 hoặc 02/6/2023."
        ) from exc


def report(
    ctx: typer.Context,
    period: str = typer.Option(None, "--period", help="Kỳ báo cáo: 2023-05 (tháng), 2023-Q2, 2023."),
    unit: str = typer.Option(None, "--unit", help="Mã đơn vị ban hành công văn (ví dụ H53.07 cho UBND huyện Gò Dầu)."),
    out: Path = typer.Option(None, "--out", help="Thư mục ghi letter.docx, appendix.xlsx, letter.pdf, brief.txt."),
    source: str = typer.Option(
        "official", "--source", help="official: kết quả Cổng DVCQG; local: số liệu tạm tính từ hồ sơ."
    ),
    profile: str = typer.Option(
        None, "--profile", help="Hồ sơ công văn: tên có sẵn (huyen, tinh, van-phong, so, xa…) hoặc tệp YAML."
    ),
    issued: str = typer.Option(None, "--date", help="Ngày ghi trên công văn (mặc định hôm nay): 2023-06-02."),
    number: str = typer.Option("", "--number", help="Số công văn (thường để trống cho văn thư ghi)."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Tạo letter.pdf bằng LibreOffice (nếu có)."),
    ytd: bool = typer.Option(False, "--ytd", help="Kỳ lũy kế từ đầu năm."),
    print_profile: str = typer.Option(
        None, "--print-profile", help="In một hồ sơ công văn có sẵn (để sao chép, sửa) rồi thoát."
    ),
    list_profiles: bool = typer.Option(False, "--list-profiles", help="Liệt kê các hồ sơ công văn có sẵn."),
    fmt: str = typer.Option("table", "--format", help="table (thông báo) hoặc json (danh sách tệp, ghi chú)."),
) -> None:
    """Lập công văn hằng tháng (letter.docx, letter.pdf), phụ lục (appendix.xlsx) và bản tin ngắn (brief.txt)."""
    if list_profiles:
        for name in available_profiles():
            p = load_profile(name)
            console.print(f"{name}\t{p.level}\t{p.title}")
        return
    if print_profile:
        typer.echo(profile_text(print_profile), nl=False)
        return
    missing = [flag for flag, value in (("--period", period), ("--unit", unit), ("--out", out)) if not value]
    if missing:
        raise ChisoError(
            f"Thiếu {', '.join(missing)}",
            hint="Ví dụ: chiso report --period 2023-05 --unit H53.07 --out cong-van-thang-5",
        )
    request = ReportRequest(
        unit=unit.strip(),
        period=Period.parse(period, ytd=ytd),
        out=out,
        source=source.strip().lower(),
        profile=profile,
        issued=_date(issued),
        number=number.strip(),
        pdf=pdf,
    )
    outcome = produce(workspace(ctx), request)
    if fmt.lower() == "json":
        print_json(
            {
                "unit": request.unit,
                "period": request.period.key,
                "source": request.source,
                "profile": outcome.profile.name,
                "estimate": outcome.letter.estimate,
                "cutoff": outcome.letter.summary.cutoff,
                "files": [str(f) for f in outcome.files],
                "findings": [{"metric": f.metric, "short": [u.code for u in f.short]} for f in outcome.letter.findings],
                "notes": outcome.notes + ([outcome.pdf_note] if outcome.pdf_note else []),
            }
        )
        return
    print_outcome(outcome)


def print_outcome(outcome: ReportOutcome) -> None:
    """What was written, from which figures, and what the user should know."""
    letter = outcome.letter
    s = letter.summary
    kind = "số liệu tạm tính" if letter.estimate else "kết quả chính thức"
    console.print(
        f"[bold]{s.sender}[/] — {s.period} ({kind}, hồ sơ công văn '{outcome.profile.name}'): "
        f"{number_text(s.total)}/100 điểm" + (f", xếp thứ {s.rank}/{s.peers} {s.peer_label}" if s.rank else "")
    )
    if s.cutoff:
        console.print(f"Số liệu{' tạm tính' if letter.estimate else ''} tính đến thời điểm {s.cutoff}.")
    for f in outcome.files:
        console.print(f"[green]Đã ghi[/] {f}")
    for note in outcome.notes:
        err_console.print(f"[yellow]Lưu ý:[/] {note}", highlight=False)
    if outcome.pdf_note:
        err_console.print(f"[yellow]Lưu ý:[/] {outcome.pdf_note}", highlight=False)
