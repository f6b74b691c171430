"""Veille: coordination platform of a city's local security and crime-prevention bodies."""

__version__ = "0.1.0"
