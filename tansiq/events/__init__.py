"""The event log (the spine of the system), the bus port and the live feed."""
