"""Run the ``leadermail`` command against the test database, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from leadermail.platform.config import Settings

ROOT = Path(__file__).resolve().parents[3]


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "SECRET_KEY": settings.secret_key,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "leadermail.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
