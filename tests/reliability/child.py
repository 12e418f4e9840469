"""What the crash and full-disk tests run in a process of their own (so that it can be killed, or limited):

    python -m tests.reliability.child ingest HOME FEEDS_URL KEY...   every release KEY of sickness absence
                                                                    (--no-suite: without its GX suite)
    python -m tests.reliability.child publish HOME RUN_ID            the home's marts published as RUN_ID

`OVERSIGHT_CRASH_AT` (orchestration/crashpoints.py) kills it at a named point; `--fsize BYTES` first limits the size
of any file it writes (RLIMIT_FSIZE: the write past it fails with EFBIG, as on a full disk). A failure prints its one
message on the last line of standard error and exits 1.
"""
from __future__ import annotations

import resource
import signal
import sys
from datetime import date
from pathlib import Path

AS_AT = date(2026, 12, 1)


def _limit(argv: list[str]) -> list[str]:
    if "--fsize" in argv:
        at = argv.index("--fsize")
        size = int(argv[at + 1])
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)         # a write past the limit fails, it does not kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        argv = argv[:at] + argv[at + 2:]
    return argv


def ingest(home: Path, feeds_url: str, keys: list[str], suite: bool = True) -> None:
    from orchestration.feeds import pipeline
    from orchestration.feeds.workforce import SICKNESS
    from orchestration.settings import Settings

    if not suite:   # what is killed is the bytes' way to the store; the suite's seconds of import are not needed
        check = pipeline.check
        pipeline.check = lambda *args, **kwargs: check(*args, **{**kwargs, "expectations": False})

    settings = Settings(home=home, feeds_url=feeds_url)
    for key in keys:
        outcome = pipeline.ingest_release(SICKNESS, key, pipeline.Run(settings, AS_AT), pipeline.References())
        print(outcome.summary(), flush=True)
        if outcome.refused:
            raise RuntimeError(outcome.summary())


def marts_of(snapshot: Path) -> list[str]:
    import duckdb

    from orchestration.publish import METHODOLOGY_SEEDS
    from orchestration.whatif import WHATIF_SQL_TABLE
    with duckdb.connect(str(snapshot), read_only=True) as db:
        tables = [t for (t,) in db.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    # what publish writes itself beside the marts: the seeds, the what-if's query, the publication record
    return [t for t in tables if t not in (*METHODOLOGY_SEEDS, WHATIF_SQL_TABLE, "publication")]


def publish(home: Path, run_id: str, marts: list[str]) -> None:
    from orchestration.publish import publish as publish_snapshot
    from orchestration.settings import Settings

    outcome = publish_snapshot(Settings(home=home, feeds_url=None), marts, run_id, AS_AT, "reliability")
    print(outcome["path"], flush=True)


def main(argv: list[str]) -> int:
    argv = _limit(argv)
    command, home = argv[0], Path(argv[1])
    try:
        if command == "ingest":
            keys = [a for a in argv[3:] if a != "--no-suite"]
            ingest(home, argv[2], keys, suite="--no-suite" not in argv)
        else:
            publish(home, argv[2], argv[3].split(","))
    except Exception as error:  # noqa: BLE001 — the one message, as the command line would print it
        print(f"{type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
