"""Log lines of the processes leadermail starts itself (the job worker).

    configure_logging()                 # INFO and up, to stderr, once at start-up

uvicorn sets up its own loggers for the web process; the worker had nothing,
so everything it logs at INFO -- arq's "job started / done" lines and the
development SMS gateway's "SMS to 138****5678: …" -- was dropped, and in the
demo there was no way to read the SMS a citizen would have received.

What is logged stays safe to keep: the SMS gateway masks the number and
blanks the query password itself (``notifications/sms.py``), and arq's line
for a starting job, which repeats the job's arguments, has any ``sealed_*``
argument (a password sealed for the receipt or for 找回密码) cut out here.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%H:%M:%S"

# arq writes kwargs as name=repr(value), cut at 80 characters with "…".
_SEALED = re.compile(r"(sealed_\w+=)(?:'[^']*'?|\{[^}]*\}?|[^,)\s]*)…?")


class SealedArgumentFilter(logging.Filter):
    """Cuts ``sealed_password='…'`` (and the like) out of a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "sealed_" in message:
            record.msg = _SEALED.sub(r"\1<sealed>", message)
            record.args = None
        return True


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send leadermail's and arq's records of ``level`` and up to ``stream``
    (stderr), each line with the time, level and logger."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    handler.addFilter(SealedArgumentFilter())
    for name in ("leadermail", "arq"):
        logger = logging.getLogger(name)
        # Called again (tests, a restarted worker): one handler, not two.
        for old in [h for h in logger.handlers if getattr(h, "_leadermail", False)]:
            logger.removeHandler(old)
        handler._leadermail = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(level)
