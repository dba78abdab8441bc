"""Tansiq (تنسيق): a joint operations platform for a ministry of interior and its partners."""

__version__ = "0.1.0"
