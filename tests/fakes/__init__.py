"""Test doubles the test settings register with the product's factories (tests/settings.py)."""
