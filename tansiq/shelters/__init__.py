"""Temporary shelters and the evacuees they take in."""
