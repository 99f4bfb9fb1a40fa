"""Where s3kg's logs go: the standard `logging`, configured once per process by the application.

The packages only log (`logging.getLogger(__name__)`, with the facts of an event as `extra`
fields); this module decides the form. `s3kg serve` writes JSON lines to stderr (one object per
event: time, level, logger, message, and every extra field), which any log shipper reads;
commands write warnings as plain lines (`s3kg: …`) beside their progress bars, or JSON lines too
with `log_format = "json"`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# What every LogRecord has; anything else on a record came as an `extra` field of the event.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonLines(logging.Formatter):
    """One JSON object per record, the event's extra fields included (values that JSON cannot
    hold are written as strings)."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


def configure(json_lines: bool, level: int = logging.INFO) -> None:
    """Send s3kg's loggers (`s3kg`, `server`, `loaders`) to stderr in one form, once per process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter("s3kg: %(message)s"))
    for name in ("s3kg", "server", "loaders"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
