"""The leader brief: plain text for messaging apps, at most 1,200 characters, no personal data.

Score, band, rank and their change; the data cut-off (marked 'số liệu tạm tính' for local figures); the three
weakest units; the three actions that win most points back; the targets not met. Unit names and counts only:
no signer, no applicant, no identity or phone number.
"""

from __future__ import annotations

from decimal import Decimal

from chiso.formatting import nfc, number, signed
from chiso.report.content import LetterContent, number_text

LIMIT = 1200


def brief_text(letter: LetterContent, limit: int = LIMIT) -> str:
    s = letter.summary
    head = [f"BỘ CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP — {s.period}"]
    score = f"{s.sender}: {number_text(s.total)}/100 điểm" + (f" ({s.band})" if s.band else "")
    if s.rank is not None:
        score += f", xếp thứ {s.rank}/{s.peers} {s.peer_label}"
    head.append(score + ".")
    if s.score_change is not None:
        change = f"So với {s.previous_period}: {signed(s.score_change)} điểm"
        if s.rank_change:
            change += f", {'tăng' if s.rank_change > 0 else 'giảm'} {abs(s.rank_change)} bậc"
        elif s.rank_change == 0:
            change += ", giữ nguyên thứ hạng"
        head.append(change + ".")
    if s.day_score_change is not None:
        head.append(day_line(s.day_score_change, s.day_rank_change, s.day_since))
    if s.cutoff:
        head.append(("Số liệu tạm tính, tính đến " if s.estimate else "Số liệu tính đến ") + s.cutoff + ".")
    sections = [head]
    if s.weakest:
        sections.append(
            ["3 đơn vị thấp điểm nhất:" if len(s.weakest) >= 3 else "Đơn vị thấp điểm nhất:"]
            + [f"{i}. {name}: {number_text(total)} điểm" for i, (name, total) in enumerate(s.weakest, 1)]
        )
    if s.actions:
        sections.append(
            ["Việc lấy lại nhiều điểm nhất:"]
            + [
                f"{i}. {a.unit + ' — ' if a.unit else ''}{a.metric}: {a.what} (+{number(a.gain)} điểm)"
                for i, a in enumerate(s.actions, 1)
            ]
        )
    if letter.findings:
        short = [f"{f.name} ({len(f.short)}/{f.considered} đơn vị)" for f in letter.findings]
        sections.append(["Chỉ tiêu chưa đạt: " + "; ".join(short)])
    while True:
        text = nfc("\n\n".join("\n".join(lines) for lines in sections))
        if len(text) <= limit or len(sections) == 1:
            break
        sections.pop()  # least important last: targets, then actions, then weakest units
    return text[: limit - 1] + "…" if len(text) > limit else text



def day_line(score: Decimal, rank: int | None, since: str) -> str:
    """'Từ lần lấy số liệu trước (…): +0,12 điểm, tăng 1 bậc.' — the change since the previous daily capture."""
    line = f"Từ lần lấy số liệu trước ({since}): {signed(score)} điểm"
    if rank:
        line += f", {'tăng' if rank > 0 else 'giảm'} {abs(rank)} bậc"
    elif rank == 0:
        line += ", giữ nguyên thứ hạng"
    return line + "."
