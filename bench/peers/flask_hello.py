"""The floor for osnova's numbers: Flask's hello world under the same gunicorn settings.

Served by ``gunicorn -c deploy/gunicorn.conf.py --chdir bench/peers flask_hello:app``, so the
workers, threads, access log and recycling are osnova's; only the app differs.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
