"""The printable documents render Chinese: checked on the PDF's text and on its pixels."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from leadermail.platform.documents.documents import (
    AcceptanceNotice,
    AssignmentSlip,
    DutyLogDocument,
    DutyLogRow,
    ReplyDocument,
    acceptance_notice_pdf,
    assignment_slips_pdf,
    duty_log_pdf,
    reply_document_pdf,
)
from leadermail.tenants.registry import TenantRef

TENANT = TenantRef(
    id=1,
    slug="changsha",
    name="长沙市市长信箱",
    kind="city",
    parent_id=None,
    status="active",
    theme="base",
    schema_name="t_1",
    profile={"document_header": "长沙市人民政府办公厅"},
)
NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)

SLIP = AssignmentSlip(
    tracking_code="A1B2C3D4E5F6",
    unit_name="市住房和城乡建设局",
    title="小区路灯不亮",
    letter_type="投诉",
    writer_name="王女士",
    writer_phone="13800000000",
    received_at=NOW - timedelta(days=1),
    channel="网站",
    body="我们小区的路灯已经坏了一个月，晚上出行很不方便。",
    instruction="张市长：请尽快核实处理。",
    note=None,
    due_at=NOW + timedelta(days=10),
    assigned_at=NOW,
)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def first_page_image(pdf: bytes, tmp_path: Path) -> Image.Image:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "page")],
        check=True,
    )
    (png,) = sorted(tmp_path.glob("page*.png"))
    return Image.open(png).convert("RGB")


def inked(image: Image.Image, box: tuple[float, float, float, float]) -> tuple[int, int]:
    """(dark pixels, red pixels) in a box given as fractions of the page."""
    width, height = image.size
    left, top, right, bottom = box
    crop = image.crop(
        (int(left * width), int(top * height), int(right * width), int(bottom * height))
    )
    dark = red = 0
    for r, g, b in crop.get_flattened_data():
        if r + g + b < 300:
            dark += 1
        if r > 150 and g < 80 and b < 80:
            red += 1
    return dark, red


def embedded_fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize(
    ("render", "title"),
    [
        (lambda: assignment_slips_pdf(TENANT, [SLIP]), "来信交办单"),
        (
            lambda: acceptance_notice_pdf(
                TENANT,
                AcceptanceNotice(
                    "A1B2C3D4E5F6",
                    "王女士",
                    "小区路灯不亮",
                    NOW,
                    accepted=True,
                    due_at=NOW,
                    decided_at=NOW,
                ),
            ),
            "受理告知书",
        ),
        (
            lambda: acceptance_notice_pdf(
                TENANT,
                AcceptanceNotice(
                    "A1B2C3D4E5F6",
                    "王女士",
                    "小区路灯不亮",
                    NOW,
                    accepted=False,
                    reason="该事项已进入诉讼程序，依法不予受理。",
                    decided_at=NOW,
                ),
            ),
            "不予受理告知书",
        ),
        (
            lambda: reply_document_pdf(
                TENANT,
                ReplyDocument(
                    "A1B2C3D4E5F6",
                    "王女士",
                    "小区路灯不亮",
                    NOW,
                    request="请求修复路灯",
                    facts="经现场核查，路灯线路老化。",
                    opinion="已于3月8日更换线路，路灯恢复。",
                    basis="《城市照明管理规定》第十五条",
                    unit_name="市城市管理和综合执法局",
                    decided_at=NOW,
                ),
            ),
            "信访处理意见书",
        ),
        (
            lambda: duty_log_pdf(
                TENANT,
                DutyLogDocument(
                    NOW,
                    NOW + timedelta(days=1),
                    [
                        DutyLogRow(
                            NOW,
                            NOW + timedelta(hours=9),
                            "工作日 白班",
                            "张三",
                            4,
                            ["A1B2C3D4E5F6 小区路灯不亮"],
                            "本班收到来信一件，已登记。",
                        ),
                    ],
                    printed_at=NOW,
                ),
            ),
            "网上信访值班记录",
        ),
    ],
    ids=["slip", "accepted", "not-accepted", "reply", "duty-log"],
)
def test_document_renders_chinese(render, title, tmp_path):  # noqa: ANN001
    pdf = render()
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert title in text.replace(" ", "")
    assert "长沙市人民政府办公厅" in text.replace(" ", "")
    fonts = embedded_fonts(pdf, tmp_path)
    assert "Noto-Serif-CJK-SC" in fonts and "Noto-Sans-CJK-SC" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:])  # every font embedded
    page = first_page_image(pdf, tmp_path)
    dark, red = inked(page, (0.1, 0.05, 0.9, 0.2))
    assert red > 200, "the red header is missing"
    assert dark > 200, "the title area is blank: the CJK glyphs did not render"
    blank_dark, blank_red = inked(page, (0.0, 0.0, 1.0, 0.03))
    assert blank_dark == 0 and blank_red == 0  # the top margin stays empty (the check can fail)


def test_one_page_per_slip(tmp_path):
    pdf = assignment_slips_pdf(TENANT, [SLIP] * 3)
    path = tmp_path / "slips.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+3$", info, re.M)


def test_citizen_text_is_escaped_not_interpreted(tmp_path):
    evil = AssignmentSlip(
        **{**SLIP.__dict__, "title": "<h1>伪造标题</h1><img src=file:///etc/passwd>"}
    )
    text = pdf_text(assignment_slips_pdf(TENANT, [evil]), tmp_path)
    assert "<h1>伪造标题</h1>" in text.replace(" ", "")
