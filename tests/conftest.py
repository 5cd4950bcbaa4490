"""Fixtures shared by every test folder. The platform's (Django) fixtures live in
tests/platform/conftest.py, so the pure libraries' tests need no Django at all."""
