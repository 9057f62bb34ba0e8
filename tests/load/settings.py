"""The load suite's server and worker: the production settings, served over loopback HTTP
(PORTAL_LOCAL_HTTP=1, set by the test), with three changes that exist only because 50 simulated
users share one machine and one IP address:

- passwords use the MD5 test hasher: one PBKDF2 check costs ~1 s of CPU on the CI machine, so 50
  sign-ins would measure the hasher's deliberate cost instead of the portal;
- allauth's per-IP rate limits are off: every simulated user comes from 127.0.0.1;
- the cache (Redis, shared with other test runs) gets a key prefix of this run."""

from portal.settings.base import env
from portal.settings.production import *  # noqa: F403
from portal.settings.production import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_RATE_LIMITS = False
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="load")}}
