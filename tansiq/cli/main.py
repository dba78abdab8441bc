"""Entry point of the `tansiq` command."""

import typer

from tansiq.cli import analytics

app = typer.Typer(
    help="Tansiq (تنسيق): joint operations platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(analytics.app, name="analytics")
