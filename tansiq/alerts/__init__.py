"""Public alerts in CAP 1.2: authored, approved and published as an Atom feed; imported too."""
