"""`oversight check-feed` run in this process: the command's own code (arguments, parser, suite, report and exit
code), without a Python start-up per file. test_check_feed_cli.py runs it as a separate process, as a data
engineer does."""
import contextlib
import io
import json

from orchestration.cli import main


def check_feed_in_process(*args) -> tuple[int, dict | None, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check-feed", *map(str, args)])
    return code, json.loads(out.getvalue()) if out.getvalue().strip() else None, err.getvalue()
