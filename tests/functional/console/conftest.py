"""Fixtures of the console tests (SMTP sink, mail-enabled context): see staff_session.py."""

from tests.functional.console.staff_session import mail_context, smtp_sink  # noqa: F401
