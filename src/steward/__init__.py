"""Steward: an IT Service Management platform."""

__version__ = "0.1.0"
