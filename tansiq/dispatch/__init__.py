"""Dispatch: which available units to send to an incident, ranked by travel time."""
