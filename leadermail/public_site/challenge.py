"""The human check on citizen forms: self-hosted proof-of-work, with a fallback.

With JavaScript on, the ALTCHA widget (npm ``altcha`` 2.3, served from
``/static/vendor/altcha/``) solves a SHA-256 proof-of-work made by the
``altcha`` PyPI package. Widget 2.x speaks ALTCHA's *v1* protocol
(``algorithm/challenge/salt/signature/maxnumber``), so the server uses the
package's ``create_challenge_v1``/``verify_solution_v1``; the browser test
proves the two interoperate. With JavaScript off, the form shows a short
arithmetic question in Chinese instead (the widget cannot run); its answer
is bound to an HMAC token. Both are single use (Redis ``SET NX``), and a
form that passed once is remembered by its submission key, so a citizen who
corrects a field does not solve it again::

    challenges = Challenges(context.settings, context.redis)
    pow_json = challenges.new_pow()          # -> widget's challengejson
    question = challenges.new_question()     # -> noscript fallback
    if not await challenges.verify(form, submission_key=key):
        errors["challenge"] = "请完成人机验证"
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from altcha import ChallengeOptionsV1, create_challenge_v1, verify_solution_v1
from redis.asyncio import Redis

from leadermail.platform.config import Settings

#: How long a challenge may be solved and submitted (a long letter takes time).
CHALLENGE_TTL = timedelta(hours=2)
#: How long a form that passed the check is remembered by its submission key.
PASSED_TTL_SECONDS = 2 * 3600
_DIGITS = "零一二三四五六七八九十"


def _key(settings: Settings, purpose: bytes) -> bytes:
    # Domain separation: the server secret also signs sessions and passwords.
    return hmac.new(
        settings.secret_key.encode(), b"leadermail.challenge." + purpose, "sha256"
    ).digest()


def _chinese_number(n: int) -> str:
    if n <= 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + ("" if ones == 0 else _DIGITS[ones])


@dataclass(frozen=True)
class Question:
    text: str
    token: str


class Challenges:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis
        self._pow_key = _key(settings, b"pow").hex()
        self._question_key = _key(settings, b"question")

    def new_pow(self) -> str:
        """A proof-of-work challenge as JSON for ``<altcha-widget challengejson=...>``."""
        challenge = create_challenge_v1(
            ChallengeOptionsV1(
                hmac_key=self._pow_key,
                max_number=self.settings.challenge_max_number,
                expires=datetime.now(UTC) + CHALLENGE_TTL,
            )
        )
        return json.dumps(challenge.to_dict())

    def new_question(self) -> Question:
        a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
        expires = int(time.time() + CHALLENGE_TTL.total_seconds())
        nonce = secrets.token_urlsafe(9)
        message = f"{a + b}.{expires}.{nonce}".encode()
        mac = hmac.new(self._question_key, message, hashlib.sha256).hexdigest()[:32]
        return Question(
            text=f"{_chinese_number(a)}加{_chinese_number(b)}等于几？（请填写阿拉伯数字）",
            token=f"{expires}.{nonce}.{mac}",
        )

    async def _first_use(self, marker: str) -> bool:
        key = "leadermail:challenge-used:" + hashlib.sha256(marker.encode()).hexdigest()
        ttl = int(CHALLENGE_TTL.total_seconds()) + 60
        return bool(await self.redis.set(key, "1", nx=True, ex=ttl))

    async def _verify_pow(self, payload: str) -> bool:
        ok, _ = verify_solution_v1(payload, self._pow_key, check_expires=True)
        return ok and await self._first_use("pow:" + payload)

    async def _verify_question(self, answer: str, token: str) -> bool:
        try:
            expires_text, nonce, mac = token.split(".")
            expires = int(expires_text)
            number = int(
                answer.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
            )
        except ValueError:
            return False
        if expires < time.time():
            return False
        message = f"{number}.{expires}.{nonce}".encode()
        expected = hmac.new(self._question_key, message, hashlib.sha256).hexdigest()[:32]
        return hmac.compare_digest(expected, mac) and await self._first_use("q:" + token)

    async def verify(self, form: Any, *, submission_key: str | None = None) -> bool:
        """True when the form solved a fresh challenge (or its key passed before)."""
        passed_key = f"leadermail:challenge-passed:{submission_key}" if submission_key else None
        if passed_key and await self.redis.exists(passed_key):
            return True
        payload = form.get("altcha")
        answer, token = form.get("challenge_answer"), form.get("challenge_token")
        ok = False
        if isinstance(payload, str) and payload:
            ok = await self._verify_pow(payload)
        elif isinstance(answer, str) and isinstance(token, str) and answer and token:
            ok = await self._verify_question(answer, token)
        if ok and passed_key:
            await self.redis.set(passed_key, "1", ex=PASSED_TTL_SECONDS)
        return ok

    async def forget(self, submission_key: str) -> None:
        await self.redis.delete(f"leadermail:challenge-passed:{submission_key}")
