"""Identity and access: agencies, users, roles, clearances and the visibility rule."""
