"""Keep what people wrote, tokens and request bodies out of the logs at INFO and above.

Slack's libraries put request bodies and error texts into their log lines
(Bolt logs the whole body of a request with a wrong signature at INFO; its
listener errors and aiohttp's server errors carry exception messages, which
can repeat a person's text or a database value). `WithholdDetails` keeps the
headline of such a line ("Invalid request signature detected", "Failed to run
listener function"), drops everything after it, and keeps a traceback's frames
but not the exception's message. DEBUG lines pass untouched: an operator who
sets LOG_LEVEL=DEBUG has asked for everything.

`guard_logs(bolt_logger)` installs the filter on the logger given to Bolt (Bolt
copies it onto every logger it creates) and on the third-party and Tandem
loggers that exist. SQLAlchemy's engines are made with `hide_parameters=True`
(bot/db.py), so its errors never show bound values.
"""

from __future__ import annotations

import logging
import re
import traceback

from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

# Loggers whose INFO+ lines can carry request data; aiohttp.access logs only the request line.
THIRD_PARTY = ("slack_bolt", "slack_sdk", "aiohttp.server", "aiohttp.web", "aiohttp.client", "asyncio")
OURS = ("tandem", "bot", "handlers")
_HEADLINE_END = re.compile(r"[(:{\[\n=]")
WITHHELD = "[details withheld; LOG_LEVEL=DEBUG shows them]"


def headline(message: str) -> str:
    """The part of a log message before its first detail (a bracket, colon, brace or newline)."""
    match = _HEADLINE_END.search(message)
    head = message[: match.start()] if match else message
    return head.strip()[:120]


class WithholdDetails(logging.Filter):
    """Rewrites INFO+ records: the headline only (when `headline_only`), and no exception message."""

    def __init__(self, *, headline_only: bool = True) -> None:
        super().__init__("tandem-withhold-details")
        self.headline_only = headline_only

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO or getattr(record, "_tandem_withheld", False):
            return True
        if self.headline_only:
            record.msg = f"{headline(record.getMessage())} {WITHHELD}"
            record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            frames = "".join(traceback.format_tb(tb))
            record.exc_text = f"Traceback (most recent call last):\n{frames}{exc_type.__name__}: {WITHHELD}"
            record.exc_info = None
        record.stack_info = None
        record._tandem_withheld = True  # type: ignore[attr-defined]
        return True


_THIRD_PARTY_FILTER = WithholdDetails(headline_only=True)
_OURS_FILTER = WithholdDetails(headline_only=False)


def _install(logger: logging.Logger, flt: logging.Filter) -> None:
    if not any(isinstance(f, WithholdDetails) for f in logger.filters):
        logger.addFilter(flt)


def guard_logs(bolt_logger: logging.Logger | None = None) -> None:
    """Install the filters (idempotent). Call before building the Bolt app."""
    if bolt_logger is not None:
        _install(bolt_logger, _THIRD_PARTY_FILTER)
    names = list(logging.Logger.manager.loggerDict)
    for name in names:
        logger = logging.Logger.manager.loggerDict[name]
        if not isinstance(logger, logging.Logger):
            continue
        if any(name == p or name.startswith(p + ".") for p in THIRD_PARTY):
            _install(logger, _THIRD_PARTY_FILTER)
        elif any(name == p or name.startswith(p + ".") for p in OURS):
            _install(logger, _OURS_FILTER)
    for name in THIRD_PARTY:
        _install(logging.getLogger(name), _THIRD_PARTY_FILTER)


class DropClientTokenNotice(logging.Filter):
    """Bolt warns "`token` will be unused" whenever SLACK_BOT_TOKEN is in the environment and a
    client is passed too; Tandem passes its own client (the gateway's) on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(warning_client_prioritized_and_token_skipped())


def bolt_logger() -> logging.Logger:
    """The base logger handed to Bolt; Bolt copies its filters to each logger it makes."""
    logger = logging.getLogger("slack_bolt.tandem")
    if not any(isinstance(f, DropClientTokenNotice) for f in logger.filters):
        logger.addFilter(DropClientTokenNotice())
    _install(logger, _THIRD_PARTY_FILTER)
    return logger
