"""Units: patrols, engines, boats, aircraft and posts, their status, position and assignments."""
