"""The letter as a Word document laid out per Nghị định 30/2020/NĐ-CP (Phụ lục I: thể thức văn bản hành chính).

A4; margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman; body 14 pt justified with a first-line
indent; the two-column heading (issuing body | national name and motto, each underlined by a short rule); 'Số'
and the abstract under the issuing body, place and date under the motto; 'Nơi nhận' (12 pt, list 11 pt, as the
decree sets them) beside the signature; page numbers centred in the top margin from page 2. The appendix follows
on landscape pages as a table, numbered on its own.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from chiso.formatting import integer, number
from chiso.report.content import Appendix, LetterContent, Style
from chiso.report.files import save

FONT = "Times New Roman"
BODY_PT = 14
HEADING_PT = 13
CC_TITLE_PT = 12  # 'Nơi nhận:' (NĐ 30, Phụ lục I)
CC_PT = 11  # its list
TABLE_PT = 12
A4 = (Mm(210), Mm(297))
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
HEADING_COLUMNS = (Mm(62), Mm(103))  # 165 mm of text width
SIGNATURE_COLUMNS = (Mm(82), Mm(83))
APPENDIX_COLUMNS = (  # 252 mm of text width on a landscape page
    ("Nhóm", Mm(20)),
    ("Chỉ số", Mm(92)),
    ("Tử số", Mm(22)),
    ("Mẫu số", Mm(22)),
    ("Tỷ lệ (%)", Mm(20)),
    ("Điểm", Mm(17)),
    ("Tối đa", Mm(17)),
    ("Ghi chú", Mm(42)),
)


def write_docx(letter: LetterContent, path: Path) -> Path:
    doc = Document()
    _base_style(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = A4
    for side, value in MARGINS.items():
        setattr(section, f"{side}_margin", value)
    body = doc.paragraphs[0] if doc.paragraphs else None
    _heading(doc, letter)
    _recipients(doc, letter)
    for p in letter.body:
        _body_paragraph(doc.add_paragraph(), p.text, p.style)
    _signature(doc, letter)
    _page_numbers(section, restart=False)
    _appendix(doc, letter.appendix)
    if body is not None and not body.text:  # the template's empty first paragraph
        body._element.getparent().remove(body._element)
    return save(path, doc.save)


# -- building blocks ---------------------------------------------------------------------------------------------
def _base_style(doc) -> None:  # type: ignore[no-untyped-def]
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    fonts = style.element.rPr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    fmt = style.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0


def _run(p: DocxParagraph, text: str, size: float, *, bold: bool = False, italic: bool = False) -> None:
    run = p.add_run(text)
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _line(p: DocxParagraph, text: str, size: float, *, bold: bool = False, italic: bool = False,
          align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER) -> DocxParagraph:  # fmt: skip
    p.alignment = align
    _run(p, text, size, bold=bold, italic=italic)
    return p


def _page_numbers(section, *, restart: bool) -> None:  # type: ignore[no-untyped-def]
    """Arabic page numbers centred in the top margin, none on the first page (NĐ 30, Phụ lục I)."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False  # an empty header of its own on the first page
    section.header.is_linked_to_previous = False
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), ("instrText", " PAGE "), ("separate", None), ("t", "2"), ("end", None)):
        run = p.add_run()
        run.font.name = FONT
        run.font.size = Pt(BODY_PT)
        if text is None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement(f"w:{kind}")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    if restart:
        number_type = OxmlElement("w:pgNumType")
        number_type.set(qn("w:start"), "1")
        # schema order: pgNumType comes before these
        section._sectPr.insert_element_before(
            number_type, "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection",
            "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange",
        )  # fmt: skip


def _rule(cell: _Cell, column: Mm, length: Mm) -> None:
    """A centred horizontal rule of ``length`` under the previous line (the bottom border of a thin empty line)."""
    p = cell.add_paragraph()
    side = Mm(max((column - length) / Mm(1) / 2, 0))
    p.paragraph_format.left_indent = side
    p.paragraph_format.right_indent = side
    _run(p, "", 2)
    p.paragraph_format.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)


def _table(doc, rows: int, widths: tuple[Mm, ...], *, grid: bool = False):  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=rows, cols=len(widths))
    if grid:
        table.style = doc.styles["Table Grid"]
    table.autofit = False
    for i, width in enumerate(widths):
        table.columns[i].width = width
        for cell in table.columns[i].cells:
            cell.width = width
    return table


def _first(cell: _Cell) -> DocxParagraph:
    return cell.paragraphs[0]


def _heading(doc, letter: LetterContent) -> None:  # type: ignore[no-untyped-def]
    table = _table(doc, 2, HEADING_COLUMNS)
    left, right = table.rows[0].cells
    target = _first(left)
    if letter.issuer_parent:
        _line(target, letter.issuer_parent, HEADING_PT)
        target = left.add_paragraph()
    for i, text in enumerate(letter.issuer):
        _line(target if i == 0 else left.add_paragraph(), text, HEADING_PT, bold=True)
    _rule(left, HEADING_COLUMNS[0], Mm(28))
    national, motto = letter.national
    _line(_first(right), national, HEADING_PT, bold=True)
    _line(right.add_paragraph(), motto, BODY_PT, bold=True)
    _rule(right, HEADING_COLUMNS[1], Mm(62))
    number_cell, date_cell = table.rows[1].cells
    p = _line(_first(number_cell), letter.number, HEADING_PT)
    p.paragraph_format.space_before = Pt(6)
    _line(number_cell.add_paragraph(), letter.abstract, HEADING_PT)
    p = _line(_first(date_cell), letter.place_date, BODY_PT, italic=True)
    p.paragraph_format.space_before = Pt(6)
    for row in table.rows:
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP


def _recipients(doc, letter: LetterContent) -> None:  # type: ignore[no-untyped-def]
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_before = Pt(12)
    if len(letter.recipients) == 1:
        p = spacer
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(p, "Kính gửi: " + letter.recipients[0].removeprefix("- "), BODY_PT)
        p.paragraph_format.space_after = Pt(12)
        return
    p = spacer
    p.paragraph_format.left_indent = Mm(35)
    _run(p, "Kính gửi:", BODY_PT)
    for i, text in enumerate(letter.recipients):
        item = doc.add_paragraph()
        item.paragraph_format.left_indent = Mm(58)
        if i == len(letter.recipients) - 1:
            item.paragraph_format.space_after = Pt(12)
        _run(item, text, BODY_PT)


def _body_paragraph(p: DocxParagraph, text: str, style: Style) -> None:
    fmt = p.paragraph_format
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.1
    if style is Style.NOTE:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(p, text, BODY_PT, italic=True)
        return
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = Mm(12.7)
    _run(p, text, BODY_PT)


def _signature(doc, letter: LetterContent) -> None:  # type: ignore[no-untyped-def]
    doc.add_paragraph().paragraph_format.space_after = Pt(6)
    table = _table(doc, 1, SIGNATURE_COLUMNS)
    left, right = table.rows[0].cells
    _line(_first(left), "Nơi nhận:", CC_TITLE_PT, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for text in letter.cc:
        _line(left.add_paragraph(), text, CC_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    for i, text in enumerate(letter.signer):
        _line(_first(right) if i == 0 else right.add_paragraph(), text, BODY_PT, bold=True)
    for _ in range(4):
        _line(right.add_paragraph(), "", BODY_PT)
    if letter.signer_name:
        _line(right.add_paragraph(), letter.signer_name, BODY_PT, bold=True)


def _cell_text(cell: _Cell, text: str, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.LEFT) -> None:  # type: ignore[no-untyped-def]
    _line(_first(cell), text, TABLE_PT, bold=bold, align=align)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _repeat_header(row) -> None:  # type: ignore[no-untyped-def]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _num(value: Decimal | None) -> str:
    """'1.089', '92,37', '' for no figure."""
    if value is None:
        return ""
    return integer(int(value)) if value == value.to_integral_value() else number(value)


def _appendix(doc, appendix: Appendix) -> None:  # type: ignore[no-untyped-def]
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = A4[1], A4[0]
    for side, value in MARGINS.items():
        setattr(section, f"{side}_margin", value)
    _page_numbers(section, restart=True)  # an appendix is numbered on its own
    _line(doc.add_paragraph(), appendix.title, BODY_PT, bold=True)
    _line(doc.add_paragraph(), appendix.subtitle, BODY_PT, bold=True)
    p = _line(doc.add_paragraph(), appendix.reference, BODY_PT, italic=True)
    p.paragraph_format.space_after = Pt(6)
    legend = "Nhóm chỉ số: " + "; ".join(f"{code} – {name}" for code, name in appendix.groups) + "."
    p = _line(doc.add_paragraph(), legend, TABLE_PT, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    p.paragraph_format.space_after = Pt(6)
    widths = tuple(w for _, w in APPENDIX_COLUMNS)
    rows = 1 + sum(1 + len(u.rows) for u in appendix.units)
    table = _table(doc, rows, widths, grid=True)
    header = table.rows[0]
    _repeat_header(header)
    for cell, (title, _) in zip(header.cells, APPENDIX_COLUMNS, strict=True):
        _cell_text(cell, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    i = 1
    right = WD_ALIGN_PARAGRAPH.RIGHT
    for n, unit in enumerate(appendix.units, start=1):
        row = table.rows[i]
        merged = row.cells[0].merge(row.cells[-1])
        _cell_text(merged, f"{n}. {unit.heading}", bold=True)
        i += 1
        for r in unit.rows:
            cells = table.rows[i].cells
            _cell_text(cells[0], r.group, align=WD_ALIGN_PARAGRAPH.CENTER)
            _cell_text(cells[1], r.metric_name)
            _cell_text(cells[2], _num(r.numerator), align=right)
            _cell_text(cells[3], _num(r.denominator), align=right)
            _cell_text(cells[4], _num(r.ratio), align=right)
            _cell_text(cells[5], _num(r.score), align=right)
            _cell_text(cells[6], _num(r.max), align=right)
            _cell_text(cells[7], r.note)
            i += 1
