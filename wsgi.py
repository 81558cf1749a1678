"""WSGI entry point: `flask --app wsgi run`, gunicorn `wsgi:app`."""

from saas import create_app

app = create_app()
