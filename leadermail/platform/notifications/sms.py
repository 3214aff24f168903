"""Text messages through a small gateway interface.

    gateway = sms_gateway(settings)
    await gateway.send("13812345678", "【长沙市市长信箱】您的来信已收到……")

Operators plug in their carrier's or the government SMS platform's HTTP API
by implementing :class:`SmsGateway`; until then :class:`LoggingSmsGateway`
writes each message to the log, with the phone number masked and anything
marked secret (the query password) blanked, so logs never hold what would let
someone read a letter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from leadermail.platform.config import Settings
from leadermail.platform.privacy import mask_phone

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    async def send(self, phone: str, text: str, *, secrets: Sequence[str] = ()) -> None:
        """Deliver ``text``; ``secrets`` are substrings a gateway must never log."""


@dataclass
class LoggingSmsGateway:
    """Development and default gateway: logs instead of sending."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, phone: str, text: str, *, secrets: Sequence[str] = ()) -> None:
        shown = text
        for secret in secrets:
            if secret:
                shown = shown.replace(secret, "********")
        self.sent.append((mask_phone(phone), shown))
        log.info("SMS to %s: %s", mask_phone(phone), shown)


_gateways: dict[int, SmsGateway] = {}


def sms_gateway(settings: Settings) -> SmsGateway:
    """The gateway configured for this process (one instance per settings object)."""
    gateway = _gateways.get(id(settings))
    if gateway is None:
        gateway = LoggingSmsGateway()
        _gateways[id(settings)] = gateway
    return gateway


def set_sms_gateway(settings: Settings, gateway: SmsGateway) -> None:
    """Install another gateway (a carrier integration, or a recorder in tests)."""
    _gateways[id(settings)] = gateway
