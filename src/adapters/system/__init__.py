"""Adapters that read the operating system and the running process."""
