"""No API key in any log: whatever a caller sends — a key pasted into a query string or a path by mistake — is
redacted before a log line or an audit record is written.

The API reads keys from the Authorization header only (never logged); a key anywhere else is still a secret, so
every log record of the API's and uvicorn's loggers, and the path and query of every audit record, pass through
`redact`. It keeps the key's id (which `oversight keys list` shows, and the audit log names) and drops its secret.
"""
from __future__ import annotations

import logging
import re

# ovk_<id>_<secret>; a secret cut short or run on is still a secret: any run of its alphabet after the id
KEY_LIKE = re.compile(r"(ovk_[0-9a-fA-F]{12}_)[A-Za-z0-9_\-]+")
REDACTED = "[redacted]"
LOGGERS = ("", "api", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi")


def redact(text: str) -> str:
    return KEY_LIKE.sub(lambda m: m[1] + REDACTED, text)


class RedactKeys(logging.Filter):
    """A filter for loggers and handlers: the message and every text argument redacted (uvicorn's access
    formatter reads the arguments, so they stay a tuple)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:        # a traceback's text, formatted once and redacted
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install() -> None:
    """On the API's loggers and on every handler they have now (a record propagated from a child logger passes
    its parents' handlers, not their filters). Idempotent."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactKeys) for f in target.filters):
                target.addFilter(RedactKeys())
