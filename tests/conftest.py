"""The suite's fixtures come from the ``tests.support`` plugin; test modules import helpers
from ``tests.support`` and never from a conftest."""

pytest_plugins = ["tests.support.plugin", "tests.support.browser"]
