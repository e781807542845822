"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from zhongzhan.settings import plain_http_staging_warn, require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongzhan.settings")
require_secret_key()
application = get_asgi_application()
plain_http_staging_warn()
