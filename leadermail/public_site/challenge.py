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
corrects a field does not solve it again. The solution is checked here; the
two markers are read and set in Redis in one round trip (a script), not
three::

    challenges = Challenges(context.settings, context.redis)
    pow_json = challenges.new_pow()          # -> widget's challengejson
    question = challenges.new_question()     # -> noscript fallback
    if not await challenges.verify(form, submission_key=key):
        errors["challenge"] = challenges.refusal(form)
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
#: A solution stays "used" as long as it could still be submitted.
_USED_TTL_SECONDS = int(CHALLENGE_TTL.total_seconds()) + 60
_DIGITS = "零一二三四五六七八九十"
_PASSED_PREFIX = "leadermail:challenge-passed:"
_USED_PREFIX = "leadermail:challenge-used:"

# KEYS[1]: the form's "passed" marker; KEYS[2]: the solution's "used" marker,
# if the form holds a correct solution. A form that passed before passes;
# otherwise a solution passes once, and then so does its form.
_SETTLE = """
if redis.call("EXISTS", KEYS[1]) == 1 then
  return 1
end
if #KEYS < 2 or not redis.call("SET", KEYS[2], "1", "NX", "EX", ARGV[1]) then
  return 0
end
redis.call("SET", KEYS[1], "1", "EX", ARGV[2])
return 1
"""


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
        self._settle = redis.register_script(_SETTLE)

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

    def _pow_solved(self, payload: str) -> bool:
        ok, _ = verify_solution_v1(payload, self._pow_key, check_expires=True)
        return bool(ok)

    def _question_answered(self, answer: str, token: str) -> bool:
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
        return hmac.compare_digest(expected, mac)

    def _solution(self, form: Any) -> str | None:
        """What identifies a correct solution in ``form`` (to use it once), or None."""
        payload = form.get("altcha")
        if isinstance(payload, str) and payload:
            return "pow:" + payload if self._pow_solved(payload) else None
        answer, token = form.get("challenge_answer"), form.get("challenge_token")
        if isinstance(answer, str) and isinstance(token, str) and answer and token:
            return "q:" + token if self._question_answered(answer, token) else None
        return None

    async def verify(self, form: Any, *, submission_key: str | None = None) -> bool:
        """True when the form solved a fresh challenge (or its key passed before)."""
        solution = self._solution(form)
        used = _USED_PREFIX + hashlib.sha256(solution.encode()).hexdigest() if solution else None
        if not submission_key:
            # No form to remember: the solution alone, once.
            return used is not None and bool(
                await self.redis.set(used, "1", nx=True, ex=_USED_TTL_SECONDS)
            )
        keys = [_PASSED_PREFIX + submission_key] + ([used] if used else [])
        return bool(await self._settle(keys=keys, args=[_USED_TTL_SECONDS, PASSED_TTL_SECONDS]))

    def refusal(self, form: Any) -> str:
        """Why ``form`` did not pass, in the words of what the citizen saw.

        A form without JavaScript carries the arithmetic question's token and
        never the widget's payload; with JavaScript it is the other way round
        (the question sits in ``<noscript>``). Each is told only about its own.
        """
        token = form.get("challenge_token")
        if isinstance(token, str) and token:
            answer = form.get("challenge_answer")
            if not isinstance(answer, str) or not answer.strip():
                return "请回答算术题（填写阿拉伯数字）"
            if self._question_answered(answer, token):
                # Right, but used already or expired: a new question is shown.
                return "算术题已失效，请回答新的算术题"
            return "算术题答案不正确，请重新计算"
        payload = form.get("altcha")
        if not isinstance(payload, str) or not payload:
            return "请等待“我不是机器人”显示已验证后再提交"
        return "人机验证已失效，请等待“我不是机器人”重新显示已验证后再提交"

    async def forget(self, submission_key: str) -> None:
        await self.redis.delete(_PASSED_PREFIX + submission_key)
