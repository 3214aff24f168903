"""Files a citizen already uploaded, kept while the rest of the form is fixed.

A browser cannot re-fill a file input, so when a letter form comes back with
an error the files that passed the checks are kept here, keyed by the form's
submission key, and the form says which ones are kept::

    staging = Staging(settings.upload_dir, tenant.id, submission_key)
    staging.add(check, data)                 # after uploads.check_upload passed
    staging.files()                          # [StagedFile(...)] shown as "已保留"
    stored = staging.commit(keep={sha, ...}) # -> [StoredFile] for submit_letter
    staging.clear()

The staging area is ``<upload_dir>/staging/<tenant_id>/<key>/`` (one JSON
manifest + the files); ``purge_staged_uploads`` (cron, hourly) removes areas
older than ``STAGING_TTL_SECONDS``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from arq import cron

from leadermail.platform.letters.submission import StoredFile
from leadermail.platform.uploads import MAX_ATTACHMENTS, UploadCheck, store_upload

STAGING_TTL_SECONDS = 6 * 3600
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def valid_submission_key(key: str | None) -> bool:
    return bool(key and _KEY.match(key))


@dataclass(frozen=True)
class StagedFile:
    filename: str
    content_type: str
    size: int
    sha256: str


class Staging:
    def __init__(self, upload_dir: Path, tenant_id: int, submission_key: str) -> None:
        if not valid_submission_key(submission_key):
            raise ValueError("malformed submission key")
        self.upload_dir = Path(upload_dir)
        self.tenant_id = tenant_id
        self.folder = self.upload_dir / "staging" / str(tenant_id) / submission_key

    @property
    def _manifest(self) -> Path:
        return self.folder / "manifest.json"

    def files(self) -> list[StagedFile]:
        try:
            data = json.loads(self._manifest.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return []
        return [StagedFile(**item) for item in data]

    def _write(self, files: list[StagedFile]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self._manifest.with_suffix(".tmp")
        temporary.write_text(json.dumps([asdict(f) for f in files], ensure_ascii=False), "utf-8")
        temporary.replace(self._manifest)

    def add(self, check: UploadCheck, data: bytes) -> bool:
        """Keep one checked file; False when the letter already has the maximum."""
        files = self.files()
        if any(f.sha256 == check.sha256 for f in files):
            return True
        if len(files) >= MAX_ATTACHMENTS:
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / check.sha256).write_bytes(data)
        files.append(StagedFile(check.safe_filename, check.content_type, check.size, check.sha256))
        self._write(files)
        return True

    def keep_only(self, shas: set[str]) -> None:
        """Drop the staged files the citizen unticked."""
        files = self.files()
        kept = [f for f in files if f.sha256 in shas]
        for dropped in files:
            if dropped.sha256 not in shas:
                (self.folder / dropped.sha256).unlink(missing_ok=True)
        if len(kept) != len(files):
            self._write(kept)

    def commit(self) -> list[StoredFile]:
        """Move the staged files into permanent (content-addressed) storage."""
        stored: list[StoredFile] = []
        for staged in self.files():
            data = (self.folder / staged.sha256).read_bytes()
            key = store_upload(self.upload_dir, self.tenant_id, data)
            stored.append(
                StoredFile(staged.filename, staged.content_type, staged.size, staged.sha256, key)
            )
        return stored

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def purge_old_staging(upload_dir: Path, *, older_than: float = STAGING_TTL_SECONDS) -> int:
    root = Path(upload_dir) / "staging"
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than
    removed = 0
    for tenant_folder in root.iterdir():
        for folder in tenant_folder.iterdir() if tenant_folder.is_dir() else ():
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


async def purge_staged_uploads(ctx: dict[str, Any]) -> int:
    return purge_old_staging(ctx["app"].settings.upload_dir)


JOBS = [purge_staged_uploads]
CRON_JOBS = [cron(purge_staged_uploads, minute={17}, run_at_startup=False)]
