"""Keeps secrets out of logs, job logs and error messages: known values and auth patterns."""

from __future__ import annotations

import base64
import logging
import re
import threading
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"

# Shorter values would redact ordinary words; real credentials are longer than this.
MIN_SECRET_LENGTH = 6
MAX_KNOWN_SECRETS = 10_000

_lock = threading.Lock()
_known: set[str] = set()
_known_pattern: re.Pattern[str] | None = None

# Credentials that can appear in text we did not build ourselves (a requests exception that
# quotes a URL, a header dump): the value after these names is never worth keeping.
_PATTERNS = [
    # Also as an echo in JSON: "Authorization": "Basic …", with its quotes.
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(\S+\s+)?[^\s,'\"}]+"),
    re.compile(
        r"(?i)((?:x-shopify-access-token|x-auth-token|x-api-key|api[_-]?key|api[_-]?secret|"
        r"consumer[_-]?key|consumer[_-]?secret|access[_-]?token|client[_-]?secret|password|"
        r"secret|token)[\"']?\s*[:=]\s*[\"']?)[^\s&,'\"}]+"
    ),
    re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"),
]


def register_secret(value: object) -> None:
    """Remember a secret value so that redact() removes it wherever it appears (as it is;
    register_secret_forms adds the encodings it travels in)."""
    global _known_pattern
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _known:
            return
        if len(_known) >= MAX_KNOWN_SECRETS:
            _known.clear()
        _known.add(value)
        _known_pattern = None


def register_secret_forms(value: object) -> None:
    """A secret and the forms it is sent in: URL-encoded (a query string) and base64."""
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return
    register_secret(value)
    register_secret(quote(value, safe=""))
    register_secret(quote_plus(value))
    register_secret(base64.b64encode(value.encode()).decode())


def register_basic_auth(user: str, password: str) -> None:
    """The header value HTTP Basic sends: base64 of "user:password"."""
    register_secret(base64.b64encode(f"{user}:{password}".encode()).decode())


def _pattern() -> re.Pattern[str] | None:
    global _known_pattern
    with _lock:
        if _known_pattern is None and _known:
            # Longest first, so a secret that contains another is removed whole.
            alternatives = sorted(_known, key=len, reverse=True)
            _known_pattern = re.compile("|".join(re.escape(value) for value in alternatives))
        return _known_pattern


def redact(text: str) -> str:
    """Return text with every known secret and credential-looking value replaced."""
    if not text:
        return text
    known = _pattern()
    if known is not None:
        text = known.sub(REDACTED, text)
    text = _PATTERNS[0].sub(lambda match: f"{match.group(1)}{REDACTED}", text)
    text = _PATTERNS[1].sub(lambda match: f"{match.group(1)}{REDACTED}", text)
    text = _PATTERNS[2].sub(lambda match: f"{match.group(1)}{REDACTED}@", text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message and any traceback before a handler sees them."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
