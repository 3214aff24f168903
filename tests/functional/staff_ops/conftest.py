from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from leadermail.platform.context import AppContext
from tests.functional.staff_ops.helpers import SmtpSink, start_smtp_sink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink, controller = start_smtp_sink()
    yield sink
    controller.stop()


@pytest.fixture
def mail_context(context: AppContext, smtp_sink: SmtpSink) -> AppContext:
    """The test context with its SMTP settings pointing at the sink."""
    settings = replace(context.settings, smtp_host="127.0.0.1", smtp_port=smtp_sink.port)
    return replace(context, settings=settings)
