import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
application = get_wsgi_application()

# Load every view now, then take all that was loaded (it lives as long as the process) out
# of the garbage collector's sight: a full collection then walks one request's objects, not
# the whole framework, and no longer adds 150-200 ms to every ~20th request of a list page
# (bench/decision_board.py: the submissions list's p95).
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and with it the views
gc.collect()
gc.freeze()
