import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponse.settings")
application = get_wsgi_application()
# The application's own objects (settings, URL patterns, models, templates), loaded once, are
# left out of every later garbage collection: a full collection over them paused a worker for
# tens of milliseconds in the middle of a crisis-alert lookup (benchmarks/bench_alert.py).
gc.freeze()
