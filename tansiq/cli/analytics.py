"""`tansiq analytics`: crime-pattern analysis from the command line."""

import typer

app = typer.Typer(help="Crime-pattern analytics: hotspots, near-repeat, prediction.", no_args_is_help=True)
