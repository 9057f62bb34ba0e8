"""The two web processes of tests/scaleout/test_two_web_processes.py: the load suite's settings
(production over loopback HTTP, tests/load/settings.py) with allauth's rate limits back on, since
the test shows them counted across processes. SCALEOUT_SESSION_ENGINE, when set, picks the session
engine (the test runs database and cached_db sessions); otherwise production's stays."""

from portal.settings.base import ACCOUNT_RATE_LIMITS as PRODUCTION_ACCOUNT_RATE_LIMITS
from portal.settings.base import env
from tests.load.settings import *  # noqa: F403

ACCOUNT_RATE_LIMITS = PRODUCTION_ACCOUNT_RATE_LIMITS
if env("SCALEOUT_SESSION_ENGINE", default=""):
    SESSION_ENGINE = env("SCALEOUT_SESSION_ENGINE")
