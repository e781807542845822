"""WSGI entry point (gunicorn zhongzhan.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from zhongzhan.settings import plain_http_staging_warn, require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
require_secret_key()
application = get_wsgi_application()
plain_http_staging_warn()
# What a worker has loaded by now (Django, every app, every view through the URL
# configuration) lives as long as the worker: gc.freeze() moves it out of the collector's
# sight, so a full collection no longer walks 150,000 long-lived objects in the middle of a
# request (issue 19: pauses of up to 80 ms on the issue page at a million issues, ≤ 4 ms
# frozen). Objects made later are collected as before.
get_resolver().url_patterns  # noqa: B018 -- imports the views now, not on the first request
gc.freeze()
