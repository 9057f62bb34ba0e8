"""The portal's log lines as a test sees them: the settings' logging configuration
(portal.logs.logging_config) for one format, its handler writing to a buffer instead of stderr.
The fixtures are registered in tests/conftest.py."""

from __future__ import annotations

import io
import json
import logging.config

import pytest
from django.conf import settings

from portal.logs import logging_config


class Captured:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        """Every line written, each parsed as one JSON object (fails on any other line)."""
        return [json.loads(line) for line in self.text().splitlines()]


def _capture(log_format: str) -> Captured:
    """The settings' logging configuration for `log_format`, its one handler writing to a buffer
    instead of stderr."""
    stream = io.StringIO()
    config = logging_config(log_format)
    config["handlers"]["default"]["stream"] = stream
    logging.config.dictConfig(config)
    return Captured(stream)


@pytest.fixture
def json_logs():
    yield _capture("json")
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture
def console_logs():
    yield _capture("console")
    logging.config.dictConfig(settings.LOGGING)
