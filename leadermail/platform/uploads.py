"""Checking and storing the files citizens attach to letters.

What a file *is* is decided by its content, never by its name or the browser's
Content-Type: a PDF named ``photo.jpg`` is accepted as a PDF and saved as
``photo.pdf``; an .exe or an HTML page named ``photo.jpg`` is refused::

    try:
        checks = check_uploads([(f.filename, await f.read()) for f in files])
    except UploadRejected as rejected:
        errors["attachments"] = rejected.message   # shown next to the field
    for check, (_, data) in zip(checks, files_data):
        key = store_upload(settings.upload_dir, tenant.id, data)
        # Attachment(filename=check.safe_filename, content_type=check.content_type,
        #            size_bytes=check.size, sha256=check.sha256, storage_key=key)

    path = open_upload(settings.upload_dir, attachment.storage_key, tenant_id=tenant.id)

Files are stored content-addressed (``<tenant_id>/ab/cd/<sha256>``): the same
photo attached twice is stored once, and a storage key can never name a file
the platform did not write.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filetype
from PIL import Image

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
#: Larger images are refused before decoding: a 10 MB PNG can unpack to
#: gigabytes (a "decompression bomb"). 50 megapixels is well above any phone.
MAX_IMAGE_PIXELS = 50_000_000
#: The PDF spec puts %%EOF in the last 1024 bytes; we allow a little slack for
#: trailing whitespace that some scanners add.
PDF_EOF_WINDOW = 2048
MAX_FILENAME_CHARS = 100

Kind = Literal["jpeg", "png", "pdf"]

_CONTENT_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
}
_EXTENSIONS: dict[str, str] = {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf"}
_ALLOWED = "仅支持 JPG、PNG 图片和 PDF 文件"


class UploadRejected(Exception):
    """A file the platform will not take; ``message`` is for the citizen."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UploadNotFound(FileNotFoundError):
    """No such stored file for this tenant (also: a malformed storage key)."""


@dataclass(frozen=True)
class UploadCheck:
    kind: Kind
    content_type: str
    #: The citizen's file name made safe to show and to put in a
    #: Content-Disposition header, with the extension of the real content.
    safe_filename: str
    size: int
    sha256: str


def check_upload(filename: str, data: bytes) -> UploadCheck:
    """Accept a JPEG, PNG or PDF of at most 10 MB, or raise :class:`UploadRejected`."""
    shown = _display_name(filename) or "文件"
    if not data:
        raise UploadRejected(f"「{shown}」是空文件，请重新选择")
    if len(data) > MAX_UPLOAD_BYTES:
        megabytes = MAX_UPLOAD_BYTES // (1024 * 1024)
        raise UploadRejected(f"「{shown}」超过 {megabytes} MB，请压缩后再上传")
    kind = _sniff(data)
    if kind is None:
        raise UploadRejected(f"「{shown}」{_describe(data)}。{_ALLOWED}")
    if kind == "pdf":
        _check_pdf(data, shown)
    else:
        _check_image(data, kind, shown)
    return UploadCheck(
        kind=kind,
        content_type=_CONTENT_TYPES[kind],
        safe_filename=safe_filename(filename, kind),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_uploads(files: Sequence[tuple[str, bytes]]) -> list[UploadCheck]:
    """Check all files of one letter, including how many there are."""
    if len(files) > MAX_ATTACHMENTS:
        raise UploadRejected(f"每封信最多上传 {MAX_ATTACHMENTS} 个附件")
    return [check_upload(name, data) for name, data in files]


def _sniff(data: bytes) -> Kind | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    guess = filetype.guess(data)
    if guess is not None and guess.extension in ("jpg", "png"):
        return "jpeg" if guess.extension == "jpg" else "png"
    return None


def _describe(data: bytes) -> str:
    """Say what the file seems to be, so the refusal makes sense to the citizen."""
    head = data[:512].lstrip().lower()
    if data.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"#!")):
        return "是程序文件，不能上传"
    if head.startswith((b"<!doctype html", b"<html", b"<script", b"<?xml", b"<svg")):
        return "是网页文件，不能上传"
    guess = filetype.guess(data)
    if guess is not None:
        return f"的实际格式是 {guess.extension.upper()}，不能上传"
    return "的格式无法识别，不能上传"


def _check_image(data: bytes, kind: Kind, shown: str) -> None:
    broken = UploadRejected(f"「{shown}」图片已损坏，无法打开，请重新选择")
    try:
        with warnings.catch_warnings():
            # Pillow only *warns* between its own limit and twice that; refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != kind.upper():
                    raise broken
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise UploadRejected(f"「{shown}」图片尺寸过大，请缩小后再上传")
                image.verify()
            # verify() checks structure (PNG CRCs) but does not decode; a
            # truncated JPEG only shows up when the pixels are loaded.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected(f"「{shown}」图片尺寸过大，请缩小后再上传") from None
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise broken from None


def _check_pdf(data: bytes, shown: str) -> None:
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise UploadRejected(f"「{shown}」PDF 文件不完整或已损坏，请重新导出后上传")


# --- file names -----------------------------------------------------------------

# Path separators, characters Windows refuses, and quotes/semicolons that
# would need escaping in a Content-Disposition header.
_UNSAFE_NAME_CHARS = re.compile(
    r'[\\/:*?"<>|;\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]'
)


def _clean_name(filename: str) -> str:
    # Browsers on Windows used to send the full path; keep the last part.
    name = re.split(r"[\\/]", filename or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE_NAME_CHARS.sub("", name)
    return re.sub(r"\s+", " ", name)


def _display_name(filename: str) -> str:
    return _clean_name(filename).strip(" .")[:MAX_FILENAME_CHARS]


def safe_filename(filename: str, kind: Kind) -> str:
    """``"..\\证据 照片.JPG"`` holding a PNG -> ``"证据 照片.png"``."""
    stem, dot, extension = _clean_name(filename).rpartition(".")
    if not dot:
        stem = extension
    elif not re.fullmatch(r"[A-Za-z0-9]{1,5}", extension):
        stem = f"{stem}.{extension}"  # not an extension: 2019.11.5 会议纪要
    stem = stem.strip(" .") or "附件"
    return stem[: MAX_FILENAME_CHARS - 4] + _EXTENSIONS[kind]


# --- storage ----------------------------------------------------------------------

_STORAGE_KEY = re.compile(
    r"(?P<tenant>[1-9]\d{0,18})/(?P<a>[0-9a-f]{2})/(?P<b>[0-9a-f]{2})/(?P<sha>[0-9a-f]{64})"
)


def store_upload(upload_dir: Path, tenant_id: int, data: bytes) -> str:
    """Write ``data`` once under ``upload_dir``; return its storage key.

    The key is ``"<tenant_id>/ab/cd/<sha256>"``. The file is written to a
    temporary name in the same directory and renamed into place, so readers
    never see half a file, and a crash leaves at most a stray temporary file.
    """
    if isinstance(tenant_id, bool) or not isinstance(tenant_id, int) or tenant_id < 1:
        raise ValueError(f"tenant_id must be a positive int, not {tenant_id!r}")
    digest = hashlib.sha256(data).hexdigest()
    key = f"{tenant_id}/{digest[:2]}/{digest[2:4]}/{digest}"
    target = Path(upload_dir) / key
    if target.exists():
        return key  # same content, already stored
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return key


def open_upload(upload_dir: Path, storage_key: str, *, tenant_id: int | None = None) -> Path:
    """The path of a stored file, or :class:`UploadNotFound`.

    Only keys of the exact shape ``store_upload`` makes are accepted, so
    ``../``, absolute paths and symlink games never reach the file system.
    With ``tenant_id`` the key must also belong to that tenant; a key of
    another tenant looks exactly like a missing one.
    """
    match = _STORAGE_KEY.fullmatch(storage_key or "")
    if (
        match is None
        or match["a"] != match["sha"][:2]
        or match["b"] != match["sha"][2:4]
        or (tenant_id is not None and match["tenant"] != str(tenant_id))
    ):
        raise UploadNotFound(storage_key)
    root = Path(upload_dir).resolve()
    path = (root / storage_key).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise UploadNotFound(storage_key)
    return path
