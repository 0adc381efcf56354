"""`python -m derive` is the `derive` command."""
from .cli import run

run()
