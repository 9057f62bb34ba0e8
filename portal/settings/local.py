"""`make run`: the embedded demo. DEBUG on, MFA for reviewers off, mail kept in /outbox/."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
PORTAL_REQUIRE_MFA_FOR_REVIEWERS = env.bool("PORTAL_REQUIRE_MFA_FOR_REVIEWERS", default=False)
