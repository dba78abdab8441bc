from tansiq.cli.main import app

app()
