"""The `tansiq` command line: thin commands that call services, never SQL."""
