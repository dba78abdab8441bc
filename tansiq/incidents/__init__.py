"""Incidents: from report to closure, shared between agencies."""
