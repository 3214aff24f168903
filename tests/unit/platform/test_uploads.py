from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from leadermail.platform.uploads import (
    MAX_ATTACHMENTS,
    MAX_UPLOAD_BYTES,
    UploadNotFound,
    UploadRejected,
    check_upload,
    check_uploads,
    open_upload,
    safe_filename,
    store_upload,
)


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


JPEG = image_bytes("JPEG")
PNG = image_bytes("PNG")
PDF = image_bytes("PDF")  # Pillow writes a real one-page PDF
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04" + b"\x00" * 20


# --- what is accepted ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type", "safe"),
    [
        ("现场照片.JPG", JPEG, "jpeg", "image/jpeg", "现场照片.jpg"),
        ("截图.png", PNG, "png", "image/png", "截图.png"),
        ("证明材料.pdf", PDF, "pdf", "application/pdf", "证明材料.pdf"),
    ],
)
def test_accepted_files(name: str, data: bytes, kind: str, content_type: str, safe: str) -> None:
    check = check_upload(name, data)
    assert (check.kind, check.content_type, check.safe_filename) == (kind, content_type, safe)
    assert check.size == len(data)
    assert check.sha256 == hashlib.sha256(data).hexdigest()


def test_content_decides_not_the_name() -> None:
    assert check_upload("photo.jpg", PDF).kind == "pdf"
    assert check_upload("photo.jpg", PDF).safe_filename == "photo.pdf"
    assert check_upload("scan.pdf", PNG).safe_filename == "scan.png"
    assert check_upload("no extension", JPEG).safe_filename == "no extension.jpg"


def test_file_of_exactly_the_limit_is_accepted() -> None:
    padded = PDF[:-6] + b" " * (MAX_UPLOAD_BYTES - len(PDF)) + PDF[-6:]
    assert len(padded) == MAX_UPLOAD_BYTES
    assert check_upload("big.pdf", padded).kind == "pdf"


# --- what is refused ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (EXE, "「photo.jpg」是程序文件，不能上传。仅支持 JPG、PNG 图片和 PDF 文件"),
        (ELF, "「photo.jpg」是程序文件，不能上传。仅支持 JPG、PNG 图片和 PDF 文件"),
        (HTML, "「photo.jpg」是网页文件，不能上传。仅支持 JPG、PNG 图片和 PDF 文件"),
        (GIF, "「photo.jpg」的实际格式是 GIF，不能上传。仅支持 JPG、PNG 图片和 PDF 文件"),
        (
            b"just some text",
            "「photo.jpg」的格式无法识别，不能上传。仅支持 JPG、PNG 图片和 PDF 文件",
        ),
    ],
)
def test_disguised_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(UploadRejected) as rejected:
        check_upload("photo.jpg", data)
    assert rejected.value.message == message


def test_empty_and_oversized_files() -> None:
    with pytest.raises(UploadRejected, match="是空文件"):
        check_upload("a.jpg", b"")
    too_big = PDF[:-6] + b" " * (MAX_UPLOAD_BYTES + 1 - len(PDF)) + PDF[-6:]
    with pytest.raises(UploadRejected) as rejected:
        check_upload("a.pdf", too_big)
    assert rejected.value.message == "「a.pdf」超过 10 MB，请压缩后再上传"


def test_truncated_images_are_refused() -> None:
    with pytest.raises(UploadRejected, match="图片已损坏"):
        check_upload("a.jpg", JPEG[: len(JPEG) // 2])
    with pytest.raises(UploadRejected, match="图片已损坏"):
        check_upload("a.png", PNG[:-20])


def test_image_with_bad_checksum_is_refused() -> None:
    broken = bytearray(PNG)
    broken[40] ^= 0xFF  # inside the first chunk after IHDR
    with pytest.raises(UploadRejected, match="图片已损坏"):
        check_upload("a.png", bytes(broken))


def test_magic_bytes_alone_are_not_an_image() -> None:
    with pytest.raises(UploadRejected, match="图片已损坏"):
        check_upload("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(UploadRejected, match="图片已损坏"):
        check_upload("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100)


def test_huge_image_dimensions_are_refused() -> None:
    # 1 bit per pixel compresses to almost nothing: 60 megapixels in a few KB.
    buffer = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < MAX_UPLOAD_BYTES
    with pytest.raises(UploadRejected, match="图片尺寸过大"):
        check_upload("bomb.png", buffer.getvalue())


def test_incomplete_pdf_is_refused() -> None:
    with pytest.raises(UploadRejected, match="PDF 文件不完整或已损坏"):
        check_upload("a.pdf", PDF[: len(PDF) // 2])
    with pytest.raises(UploadRejected, match="PDF 文件不完整或已损坏"):
        check_upload("a.pdf", b"%PDF-1.7\n" + b"x" * 5000)


def test_at_most_five_attachments() -> None:
    assert len(check_uploads([("a.jpg", JPEG)] * MAX_ATTACHMENTS)) == MAX_ATTACHMENTS
    with pytest.raises(UploadRejected) as rejected:
        check_uploads([("a.jpg", JPEG)] * (MAX_ATTACHMENTS + 1))
    assert rejected.value.message == "每封信最多上传 5 个附件"


def test_one_bad_file_rejects_the_batch_and_names_it() -> None:
    with pytest.raises(UploadRejected, match="「病毒.jpg」是程序文件"):
        check_uploads([("a.jpg", JPEG), ("病毒.jpg", EXE)])


# --- file names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("C:\\Users\\张三\\Desktop\\证据 照片.JPG", "证据 照片.jpg"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ('a"b;c<script>.jpg', "abcscript.jpg"),
        ("evil\r\nContent-Type: text.jpg", "evilContent-Type text.jpg"),
        ("a/b/../x.htm", "x.jpg"),
        ("\u202egpj.exe", "gpj.jpg"),
        ("...", "附件.jpg"),
        ("", "附件.jpg"),
        (".jpg", "附件.jpg"),
        ("2019.11.5 会议纪要", "2019.11.5 会议纪要.jpg"),
        ("长" * 300 + ".jpg", "长" * 96 + ".jpg"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name, "jpeg") == safe


# --- storage ----------------------------------------------------------------------


def test_store_and_open(tmp_path: Path) -> None:
    key = store_upload(tmp_path, 7, JPEG)
    digest = hashlib.sha256(JPEG).hexdigest()
    assert key == f"7/{digest[:2]}/{digest[2:4]}/{digest}"
    path = open_upload(tmp_path, key)
    assert path == (tmp_path / key).resolve()
    assert path.read_bytes() == JPEG
    assert open_upload(tmp_path, key, tenant_id=7) == path
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".upload-")]


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    first = store_upload(tmp_path, 7, PNG)
    mtime = (tmp_path / first).stat().st_mtime_ns
    assert store_upload(tmp_path, 7, PNG) == first
    assert (tmp_path / first).stat().st_mtime_ns == mtime
    assert store_upload(tmp_path, 8, PNG) != first  # tenants never share files


def test_other_tenants_file_looks_missing(tmp_path: Path) -> None:
    key = store_upload(tmp_path, 7, JPEG)
    with pytest.raises(UploadNotFound):
        open_upload(tmp_path, key, tenant_id=8)


@pytest.mark.parametrize("tenant_id", [0, -1, True, "7", "../7", 7.0])
def test_store_refuses_odd_tenant_ids(tmp_path: Path, tenant_id: object) -> None:
    with pytest.raises(ValueError):
        store_upload(tmp_path, tenant_id, JPEG)  # type: ignore[arg-type]


def test_open_refuses_traversal_and_malformed_keys(tmp_path: Path) -> None:
    upload_dir = tmp_path / "uploads"
    upload_dir.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("server secrets")
    key = store_upload(upload_dir, 7, JPEG)
    digest = key.rsplit("/", 1)[1]
    for bad in [
        "../secret.txt",
        "7/../../secret.txt",
        str(secret),
        "/etc/passwd",
        f"7/{digest[:2]}/{digest[2:4]}/{digest}/",
        f"7/{digest[:2]}/{digest[2:4]}/../{digest[2:4]}/{digest}",
        f"7/zz/{digest[2:4]}/{digest}",
        f"7/{digest[2:4]}/{digest[:2]}/{digest}",  # swapped fan-out
        f"07/{digest[:2]}/{digest[2:4]}/{digest}",
        f"7\\{digest[:2]}\\{digest[2:4]}\\{digest}",
        f"7/{digest[:2]}/{digest[2:4]}/{digest.upper()}",
        "",
    ]:
        with pytest.raises(UploadNotFound):
            open_upload(upload_dir, bad)


def test_open_refuses_symlinks_out_of_the_upload_dir(tmp_path: Path) -> None:
    upload_dir = tmp_path / "uploads"
    outside = tmp_path / "outside"
    outside.mkdir()
    digest = "ab" * 32
    (outside / digest).write_bytes(b"not ours")
    (upload_dir / "7" / "ab").mkdir(parents=True)
    os.symlink(outside, upload_dir / "7" / "ab" / "ab")
    with pytest.raises(UploadNotFound):
        open_upload(upload_dir, f"7/ab/ab/{digest}")


def test_open_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UploadNotFound):
        open_upload(tmp_path, f"7/ab/ab/{'ab' * 32}")
    assert issubclass(UploadNotFound, FileNotFoundError)
