"""WSGI entry point: `flask --app wsgi run`, gunicorn `wsgi:app`.

Serving without REDIS_URL, one process runs the periodic jobs too (saas/core/scheduler.py); other `flask`
commands (db upgrade, saas demo) load this file as well, and start nothing.
"""

from saas import create_app
from saas.core import scheduler

app = create_app()
scheduler.start(app)
