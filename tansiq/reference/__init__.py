"""Reference data: incident types and unit types (agencies live in `access`)."""
