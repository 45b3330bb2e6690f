"""Test settings: the product's settings plus a test-only record app."""

from itsm.settings import *  # noqa: F401,F403
from itsm.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kernel_app"]
ROOT_URLCONF = "tests.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 5
