"""WSGI entry point (gunicorn zhongzhan.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from zhongzhan.settings import plain_http_staging_warn, require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
require_secret_key()
application = get_wsgi_application()
plain_http_staging_warn()
