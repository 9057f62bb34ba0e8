"""The load suite's server and worker: the production settings, served over loopback HTTP
(PORTAL_LOCAL_HTTP=1, set by the test), with three changes that exist only because 50 simulated
users share one machine and one IP address:

- passwords use the MD5 test hasher: one PBKDF2 check costs ~1 s of CPU on the CI machine, so 50
  sign-ins would measure the hasher's deliberate cost instead of the portal;
- allauth's per-IP rate limits are off: every simulated user comes from 127.0.0.1;
- the cache (Redis, shared with other test runs) gets a key prefix of this run.

The fault suite's web process (tests/faults/conftest.py) runs these settings too, with its static
files collected into a STATIC_ROOT of its own: a collectstatic of the load suite running beside it
(pytest-xdist) rewrites the shared manifest, which a starting server may read half-written."""

from pathlib import Path

from portal.settings.base import env
from portal.settings.production import *  # noqa: F403
from portal.settings.production import CACHES, STATIC_ROOT

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_RATE_LIMITS = False
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="load")}}
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(STATIC_ROOT)))
