"""Test support loaded as a pytest plugin (``plugin``): databases, clients, mail, servers."""
