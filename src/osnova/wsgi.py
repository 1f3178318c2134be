"""WSGI entry point for gunicorn and other servers: ``osnova.wsgi:app``."""

from osnova.app import create_app

app = create_app()
