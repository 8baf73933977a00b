"""The password policy: a new password must resist guessing, judged by zxcvbn.

:func:`check_new_password` refuses a password that zxcvbn scores below :data:`MIN_SCORE`
(3 of 4: "safely unguessable", about 10^8 guesses or more), with the reason as a stable
``code``: ``password.user_derived`` when the guessable part comes from the user's own name
or user name, ``password.common`` when it is a known common password, ``password.weak``
otherwise (short, a keyboard pattern, a date, a repeated character...). zxcvbn's own warning
and suggestions come along in English. Used on user creation and on each password change (the
users an operator configures for start-up are the operator's business and are not checked).

CPU-bound (about 1-5 ms); zxcvbn reads at most :data:`CHECKED_LENGTH` characters, so a longer
password is judged by its start.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from jinghang.errors import JinghangError

MIN_SCORE = 3
CHECKED_LENGTH = 72


class WeakPassword(JinghangError):
    """The password would be too easy to guess (HTTP 422); ``code`` says why."""

    code = "password.weak"
    status_code = 422
    title = "Password too weak"


def user_words(username: str, full_name: str) -> list[str]:
    """What a guesser knows about the user: the user name and full name, whole, without
    separators and in parts of three letters or more."""
    words: set[str] = set()
    for text in (username, full_name):
        text = text.strip().lower()
        if not text:
            continue
        words.add(text)
        parts = [p for p in re.split(r"[\s._@-]+", text) if p]
        words.add("".join(parts))
        words.update(p for p in parts if len(p) >= 3)
    return sorted(w for w in words if w)


def check_new_password(password: str, *, username: str, full_name: str = "") -> None:
    """Return if ``password`` is acceptable for this user; raise :class:`WeakPassword`."""
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=user_words(username, full_name))
    score = int(result["score"])
    if score >= MIN_SCORE:
        return
    dictionaries = {m.get("dictionary_name") for m in result["sequence"]}
    words = user_words(username, full_name)
    lowered = password.lower()
    derived = any(len(w) >= 3 and w in lowered for w in words)
    feedback = result.get("feedback") or {}
    warning = str(feedback.get("warning") or "")
    suggestions = [str(s) for s in feedback.get("suggestions") or []]
    if derived or "user_inputs" in dictionaries:
        code, reason = "password.user_derived", "it is built from the user's own name"
    elif "passwords" in dictionaries:
        code, reason = "password.common", "it is a commonly used password"
    else:
        code, reason = "password.weak", "it is too easy to guess"
    detail = f"choose another password: {reason}"
    if warning:
        detail += f" ({warning.rstrip('.')})"
    raise WeakPassword(
        detail,
        field="password",
        limit=f"strength score at least {MIN_SCORE} of 4",
        code=code,
        params={"score": score, "min_score": MIN_SCORE},
        warning=warning,
        suggestions=suggestions,
    )
