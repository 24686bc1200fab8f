"""letter.docx read back with python-docx: every element in order with its figures, page, margins and fonts."""

import re

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from chiso.report.content import build_letter
from chiso.report.docx_writer import write_docx
from chiso.report.profile import load_profile
from tests.report_helpers import ISSUED, frame, go_dau_data, reference_text


@pytest.fixture
def letter(godau_ws):
    return build_letter(go_dau_data(godau_ws), load_profile("go-dau-2023"), issued=ISSUED)


@pytest.fixture
def doc(letter, tmp_path):
    return Document(str(write_docx(letter, tmp_path / "letter.docx")))


def _blocks(doc):
    """Paragraph texts of the document in order, table cells read row by row, left to right."""
    out = []
    for block in doc.iter_inner_content():
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                seen = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    out.extend(p.text for p in cell.paragraphs)
    return [re.sub(r"\s+", " ", t).strip() for t in out if t.strip()]


def test_every_element_in_order_with_its_figures(doc, letter):
    texts = _blocks(doc)
    expected = [
        "ỦY BAN NHÂN DÂN", "HUYỆN GÒ DẦU", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Số: /UBND-NC",
        "V/v công bố kết quả đánh giá Bộ chỉ số phục vụ người dân, doanh nghiệp tháng 5/2023",
        "Gò Dầu, ngày 02 tháng 6 năm 2023",
        "Kính gửi:", "- Các cơ quan chuyên môn huyện;", "- UBND các xã, thị trấn.",
        *[re.sub(r"\s+", " ", p.text) for p in letter.body],
        "Nơi nhận:", "- Như trên;", "- Văn phòng UBND tỉnh Tây Ninh;", "- CT, các PCT UBND huyện;", "- LĐVP;",
        "- Lưu: VT, VP. HĐND và UBND huyện.",
        "CHỦ TỊCH", "Tân", "PHỤ LỤC",
    ]  # fmt: skip
    assert texts[: len(expected)] == expected
    body = " ".join(texts)
    for figure in ("63,31/100 điểm", "xếp thứ 4/9", "16 giờ 30 phút ngày 31/5/2023", "UBND xã Thạnh Đức: 70,57%",
                   "UBND thị trấn Gò Dầu 23 hồ sơ", "UBND xã Thanh Phước: 56,84%"):  # fmt: skip
        assert figure in body
    # and the same frames as the reference letter, in its order
    ref, position = frame(reference_text()), -1
    for text in texts[: expected.index("CHỦ TỊCH") + 1]:
        at = ref.find(frame(text), position + 1)
        assert at > position, text
        position = at


def test_page_is_a4_with_decree_margins(doc):
    first, appendix = doc.sections[0], doc.sections[-1]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert (round(appendix.page_width.mm), round(appendix.page_height.mm)) == (297, 210)  # landscape appendix
    for s in doc.sections:
        top, bottom, left, right = (round(x.mm, 1) for x in (s.top_margin, s.bottom_margin, s.left_margin,
                                                              s.right_margin))  # fmt: skip
        assert 20 <= top <= 25 and 20 <= bottom <= 25 and 30 <= left <= 35 and 15 <= right <= 20


def _runs(doc):
    for block in doc.iter_inner_content():
        if isinstance(block, Paragraph):
            yield "body", block
        else:
            for row in block.rows:
                for cell in row.cells:
                    for p in cell.paragraphs:
                        yield "table", p


def test_times_new_roman_13_to_14_pt_except_where_the_decree_says_smaller(doc):
    tables = doc.tables
    cc_cell = tables[1].rows[0].cells[0]
    cc = {r._r for p in cc_cell.paragraphs for r in p.runs}  # the elements themselves keep their proxies alive
    appendix = {r._r for row in tables[2].rows for c in row.cells for p in c.paragraphs for r in p.runs}
    sizes = set()
    for p in (x for _, x in _runs(doc)):
        for run in p.runs:
            assert run.font.name == "Times New Roman"
            if not run.text.strip():
                continue
            pt = run.font.size.pt
            sizes.add(pt)
            if run._r in cc:
                assert pt in (11, 12), run.text  # 'Nơi nhận' 12 pt, its list 11 pt (NĐ 30, Phụ lục I)
            elif run._r in appendix:
                assert pt == 12, run.text  # the appendix table
            elif not run.text.startswith("Nhóm chỉ số:"):
                assert 13 <= pt <= 14, run.text
    assert {13, 14} <= sizes


def test_heading_is_a_two_column_table_with_rules(doc):
    heading = doc.tables[0]
    left, right = heading.rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == ["ỦY BAN NHÂN DÂN", "HUYỆN GÒ DẦU"]
    assert [p.text for p in right.paragraphs if p.text] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                           "Độc lập - Tự do - Hạnh phúc"]  # fmt: skip
    for cell in (left, right):
        assert all(r.bold for p in cell.paragraphs for r in p.runs if r.text)
        rule = cell.paragraphs[-1]
        assert rule.text == "" and rule._p.xpath("./w:pPr/w:pBdr/w:bottom")
    number, date = heading.rows[1].cells
    assert number.paragraphs[0].text.startswith("Số:")
    assert number.paragraphs[1].text.startswith("V/v ")
    assert date.paragraphs[0].runs[0].italic


def test_appendix_table_has_every_unit_and_metric(doc, letter):
    table = doc.tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["Nhóm", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm",
                                                     "Tối đa", "Ghi chú"]  # fmt: skip
    assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")  # repeated on every page
    assert len(table.rows) == 1 + len(letter.appendix.units) + len(letter.appendix.rows)
    text = [[c.text for c in row.cells] for row in table.rows]
    assert any(re.match(r"\d+\. UBND xã Thạnh Đức \(H53.07.02\): 76,82 điểm, xếp loại Khá, xếp thứ \d/9", r[0])
               for r in text)  # fmt: skip
    row = next(r for r in text if r[1].startswith("Tỷ lệ hồ sơ TTHC có cấp kết quả") and r[4] == "70,57")
    assert row[0] == "MDSH" and row[6] == "6"


def test_page_numbers_in_the_top_margin_from_page_two(doc):
    # NĐ 30: Arabic numerals, 13–14 pt, centred in the top margin, not shown on the first page; an appendix is
    # numbered on its own
    letter_section, appendix = doc.sections[0], doc.sections[-1]
    for s in (letter_section, appendix):
        assert s.different_first_page_header_footer
        assert not s.first_page_header.is_linked_to_previous and not "".join(
            p.text for p in s.first_page_header.paragraphs
        ).strip()
        [p] = s.header.paragraphs
        assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
        xml = p._p.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert {r.font.size.pt for r in p.runs} == {14.0} and {r.font.name for r in p.runs} == {"Times New Roman"}
    starts = [s._sectPr.find(qn("w:pgNumType")) for s in (letter_section, appendix)]
    assert starts[0] is None and starts[1].get(qn("w:start")) == "1"
    children = [c.tag for c in appendix._sectPr]  # schema order: pgNumType before cols and titlePg
    assert children.index(qn("w:pgNumType")) < children.index(qn("w:titlePg"))
