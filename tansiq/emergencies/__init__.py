"""Emergencies: declared events (floods, fires, storms), their areas, incidents, sitreps."""
