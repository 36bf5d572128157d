"""Fake but valid-looking attachment bytes (PDF, XLSX, JPEG), made from the seeded RNG."""

from __future__ import annotations

import io
import random
import zipfile

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = "image/jpeg"

_ZIP_DATE = (2025, 1, 1, 0, 0, 0)
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def fake_pdf(rng: random.Random, size: int) -> bytes:
    """Return about SIZE bytes shaped like a one-page PDF with a compressed stream."""
    stream = rng.randbytes(max(size - 600, 64))
    parts = [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\n"
        b"endobj\n",
        b"4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream),
    ]
    offsets, pos = [], 0
    for i, part in enumerate(parts):
        if i:
            offsets.append(pos)
        pos += len(part)
    body = b"".join(parts) + stream + b"\nendstream\nendobj\n"
    xref = b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % len(body)
    return body + xref + trailer


def fake_xlsx(rng: random.Random, size: int, rows: list[tuple[str, str]] | None = None) -> bytes:
    """Return about SIZE bytes of a zip laid out like an XLSX workbook."""
    cells = "".join(
        f'<row r="{i + 1}"><c r="A{i + 1}" t="inlineStr"><is><t>{a}</t></is></c>'
        f'<c r="B{i + 1}" t="inlineStr"><is><t>{b}</t></is></c></row>'
        for i, (a, b) in enumerate(rows or [("Item", "Price")])
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://'
        f'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData>'
        "</worksheet>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Quotation" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in (
            ("[Content_Types].xml", _CONTENT_TYPES.encode()),
            ("_rels/.rels", _RELS.encode()),
            ("xl/workbook.xml", workbook.encode()),
            ("xl/worksheets/sheet1.xml", sheet.encode()),
            ("xl/media/image1.jpeg", fake_jpg(rng, max(size - 2000, 256))),
        ):
            zf.writestr(zipfile.ZipInfo(name, _ZIP_DATE), data)
    return buf.getvalue()


def fake_jpg(rng: random.Random, size: int) -> bytes:
    """Return SIZE bytes starting with a JFIF header and ending with the EOI marker."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00"
    head += b"\xff\xdb\x00\x43\x00" + bytes(range(1, 65))
    head += b"\xff\xc0\x00\x11\x08\x03\x00\x04\x00\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    head += b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
    return head + rng.randbytes(max(size - len(head) - 2, 16)) + b"\xff\xd9"


_NAMES = {
    "en": {
        "quote": (("Quotation_{ref}.pdf", PDF), ("Price list {year}.xlsx", XLSX)),
        "followup": (("Price list {year}.xlsx", XLSX), ("Catalogue {year}.pdf", PDF)),
        "order": (("PO {po}.pdf", PDF), ("{po}.xlsx", XLSX)),
        "order_confirm": (("PI_{pi}.pdf", PDF),),
        "sample_sent": (("IMG_{n}.JPG", JPEG), ("sample photo {n}.jpg", JPEG)),
        "shipping": (("BL draft {po}.pdf", PDF), ("Packing list {po}.xlsx", XLSX)),
        "complaint": (("IMG_{n}.JPG", JPEG), ("defect photos.jpg", JPEG)),
        "evidence": (("Inspection report {po}.pdf", PDF),),
        "closing": (("Credit note {ref}.pdf", PDF),),
    },
    "zh": {
        "quote": (("报价单_{ref}.xlsx", XLSX), ("价格表{year}.xlsx", XLSX)),
        "followup": (("价格表{year}.xlsx", XLSX), ("产品目录{year}.pdf", PDF)),
        "order": (("采购订单{po}.pdf", PDF),),
        "order_confirm": (("形式发票{pi}.pdf", PDF),),
        "sample_sent": (("样品图片{n}.jpg", JPEG),),
        "shipping": (("提单草稿{po}.pdf", PDF), ("装箱单{po}.xlsx", XLSX)),
        "complaint": (("质量问题照片.jpg", JPEG), ("IMG_{n}.JPG", JPEG)),
        "evidence": (("检验报告{po}.pdf", PDF),),
        "closing": (("扣款单{ref}.pdf", PDF),),
    },
    "zh-tw": {
        "quote": (("報價單_{ref}.xlsx", XLSX),),
        "order": (("採購單{po}.pdf", PDF),),
        "order_confirm": (("形式發票{pi}.pdf", PDF),),
        "sample_sent": (("樣品照片{n}.jpg", JPEG),),
        "complaint": (("品質問題照片.jpg", JPEG),),
    },
}


def has_attachment_for(lang: str, step: str) -> bool:
    """Return True when STEP in LANG commonly carries an attachment."""
    return step in _NAMES.get(lang, _NAMES["en"]) or step in _NAMES["en"]


def make_attachment(rng: random.Random, lang: str, step: str, ctx: dict) -> tuple[str, str, bytes]:
    """Return (filename, content type, bytes) suited to STEP, 5-60 KB, from RNG."""
    table = _NAMES.get(lang, _NAMES["en"])
    choices = table.get(step) or _NAMES["en"].get(step) or (("document.pdf", PDF),)
    pattern, ctype = rng.choice(choices)
    name = pattern.format(n=rng.randint(1000, 9999), **ctx)
    size = int(rng.triangular(5_000, 60_000, 18_000))
    if ctype == PDF:
        data = fake_pdf(rng, size)
    elif ctype == XLSX:
        data = fake_xlsx(rng, size, [("Item", "Unit price"), (ctx.get("product", ""), "")])
    else:
        data = fake_jpg(rng, size)
    return name, ctype, data
