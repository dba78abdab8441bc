"""The demo: accounts, units and a live scenario around Kuwait City."""
