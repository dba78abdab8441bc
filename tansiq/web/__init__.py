"""The operations console: one page, its bundled static assets, and the few routes it needs."""
