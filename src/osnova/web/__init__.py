"""The HTML door: pages rendered with Jinja2 for people using a browser."""
