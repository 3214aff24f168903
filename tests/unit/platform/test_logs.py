"""The worker's log lines: SMS readable in the demo, the password blanked,
sealed job arguments cut out of arq's lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from leadermail.platform.logs import configure_logging
from leadermail.platform.notifications.jobs import receipt_text
from leadermail.platform.notifications.sms import LoggingSmsGateway


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    loggers = [logging.getLogger(name) for name in ("leadermail", "arq")]
    saved = [(logger, list(logger.handlers), logger.level) for logger in loggers]
    out = io.StringIO()
    configure_logging(stream=out)
    yield out
    for logger, handlers, level in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)


class _Letter:
    title = "夜间施工噪音扰民"
    tracking_code = "K7QMX3XPD9"


async def test_the_sms_of_the_development_gateway_is_on_stderr_without_the_password(stream):
    body = receipt_text("长沙市市长信箱", _Letter(), "k7m4p-9x2ab", "http://x/t/cs/track")  # type: ignore[arg-type]
    await LoggingSmsGateway().send("13812345678", body, secrets=["k7m4p-9x2ab"])
    out = stream.getvalue()
    assert "INFO leadermail.platform.notifications.sms: SMS to 138****5678:" in out
    assert "K7QMX-3XPD9" in out and "查询密码：********" in out
    assert "k7m4p-9x2ab" not in out and "13812345678" not in out


def test_configured_twice_a_line_is_written_once(stream):
    configure_logging(stream=stream)
    logging.getLogger("leadermail.test").info("一次")
    assert stream.getvalue().count("一次") == 1


def test_sealed_arguments_are_cut_from_arqs_job_lines(stream):
    # The line arq writes when a job starts: kwargs sorted, cut at 80 characters.
    logging.getLogger("arq.worker").info(
        "%6.2fs → %s(%s)%s", 0.5, "outbox:7:send_letter_receipt",
        "letter_id=3, sealed_password='gAAAAABm2xkQ0tok…", "",
    )  # fmt: skip
    logging.getLogger("arq.worker").info(
        "%6.2fs → %s(%s)%s", 0.5, "outbox:8:send_tracking_recovery",
        "code_not_found=False, letter_ids=[4], request_id='ab', sealed_passwords={'4': 'gAAAA…", "",
    )  # fmt: skip
    out = stream.getvalue()
    assert "gAAAA" not in out
    assert "letter_id=3, sealed_password=<sealed>" in out
    assert "sealed_passwords=<sealed>" in out and "outbox:8:send_tracking_recovery" in out
