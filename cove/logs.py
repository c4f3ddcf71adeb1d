"""structlog, configured once at the edge: readable on a terminal, JSON lines otherwise."""

from __future__ import annotations

import logging
import sys

import structlog


def _stderr_logger(*_: object) -> structlog.WriteLogger:
    # one write per line (PrintLogger writes the newline separately), so lines of several
    # processes sharing one stderr (helpers, workers) never run into each other
    return structlog.WriteLogger(sys.stderr)


def configure_logging(level: str = "INFO") -> None:
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = structlog.dev.ConsoleRenderer() if sys.stderr.isatty() else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[*processors, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping().get(level.upper(), logging.INFO)),
        logger_factory=_stderr_logger,  # whatever sys.stderr is at the time of each line
        cache_logger_on_first_use=False,
    )
