"""Test support shared by the unit and integration suites (no tests here)."""
