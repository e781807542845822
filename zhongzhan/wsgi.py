"""WSGI entry point (gunicorn zhongzhan.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
application = get_wsgi_application()
