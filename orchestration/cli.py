"""`oversight`: the one command-line entry point (simulate, check-feed, run, serve, keys, dev)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

# Nothing here may wait on a network it cannot reach: usage telemetry off for every tool we drive.
for _var, _value in {"DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "GX_ANALYTICS_ENABLED": "false",
                     "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_var, _value)

DAGSTER_YAML = """# Written by `oversight`: local instance for the pipeline's runs. No telemetry (no network here).
telemetry:
  enabled: false
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oversight", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="write a synthetic England in the real feed formats")
    simulate.add_argument("--scale", choices=["small", "national"], default="national")
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--out", type=Path, required=True)
    simulate.add_argument("--economy-strength", type=float, default=0.6,
                          help="share (0–1) of a trust's planted condition that comes from its health economy")
    simulate.add_argument("--months", type=int, default=5, help="monthly releases to write (default 5)")
    simulate.add_argument("--finance-link", type=float, default=0.6,
                          help="share (0–1) of a trust's finance stress that comes from its planted condition")
    simulate.add_argument("--with-social-care", action="store_true",
                          help="also CQC social-care providers and locations (ids like 1-115574477)")
    simulate.add_argument("--all-months", action="store_true",
                          help="every month since 2014 and the workforce series from 2009 (for benchmarks; large)")
    simulate.add_argument("--size", type=int, default=1, metavar="N",
                          help="N times the ICBs, trusts and locations of the scale (1–20; for benchmarks)")
    simulate.add_argument("--workforce-from", type=int, metavar="YEAR",
                          help="start the cumulative workforce series in this year (default 2014; smaller, quicker)")

    check = commands.add_parser("check-feed", help="validate one feed file and print a JSON report")
    check.add_argument("kind", help="feed kind: " + ", ".join(_feed_kinds()))
    check.add_argument("path", type=Path)
    check.add_argument("--icb-names", type=Path,
                       help="(ods-trusts) also check every trust's ICB against this ICB names file")
    check.add_argument("--ods-trusts", type=Path,
                       help="(" + ", ".join(_reference_kinds()) + ") check organisation codes against this ODS etr.csv "
                            "(or etr.zip): unknown codes and trusts closed before the row's period are quarantined")
    check.add_argument("--expectations", action="store_true",
                       help="also run the feed's Great Expectations suite on the rows the parser accepts, as the "
                            "pipeline does before storing them (slower: a few seconds more)")
    check.add_argument("--published-on", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help="(with --expectations) the release's publication date, for the rules about future "
                            "dates and freshness; without it those rules are not checked")
    check.add_argument("--as-at", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help="the day the file is checked as at, for the rules about future dates (default: today)")

    run = commands.add_parser("run", help="simulate feeds if none are configured, then materialise every asset")
    run.add_argument("--scale", choices=["small", "national"], default="national")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--engine", choices=["duckdb", "spark"], default=None,
                     help="what builds the models: duckdb (default) or spark (dbt-spark; `make setup-spark`); the "
                          "snapshot the API serves is the same either way (default: OVERSIGHT_ENGINE, else duckdb)")
    run.add_argument("--as-at", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="the run's \"today\" for every rule that needs one (future dates, open and closed "
                          "trusts, the months reported): the same inputs and date give the same marts (default: "
                          "today)")

    serve = commands.add_parser("serve", help="serve the API over the published snapshot")
    serve.add_argument("--host", default=os.environ.get("OVERSIGHT_API_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("OVERSIGHT_API_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1, help="API worker processes (default 1)")
    serve.add_argument("--access-log", action="store_true", help="log every request (off: the audit log records "
                                                                 "every restricted read)")

    _add_keys_parser(commands)

    server = commands.add_parser("feed-server", help="serve simulated feed files and the CQC API over HTTP")
    server.add_argument("--root", type=Path, required=True, help="a directory written by `oversight simulate`")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8080)
    server.add_argument("--api-key", default=os.environ.get("OVERSIGHT_CQC_API_KEY", "demo-key"),
                        help="the Ocp-Apim-Subscription-Key the CQC API requires (default: demo-key)")
    server.add_argument("--rate-limit", type=float, default=None,
                        help="CQC API requests per second per key before HTTP 429 with Retry-After")
    server.add_argument("--faults", default="",
                        help="shares of requests that fail, e.g. error=0.1,drop=0.05,slow=0.05,truncate=0.05,churn=0.1")
    server.add_argument("--fault-seed", type=int, default=0)

    dev = commands.add_parser("dev", help="the Dagster UI on the same home")
    dev.add_argument("--port", type=int, default=3000)

    compare = commands.add_parser("compare-snapshots", help="two serving snapshots table by table (exit 1 if they "
                                                            "differ): the same tables, columns, types and rows")
    compare.add_argument("left", type=Path)
    compare.add_argument("right", type=Path)
    compare.add_argument("--digits", type=int, default=10, help="significant digits floats must agree to")

    args = parser.parse_args(argv)
    return {"simulate": cmd_simulate, "check-feed": cmd_check_feed, "run": cmd_run,
            "serve": cmd_serve, "feed-server": cmd_feed_server, "dev": cmd_dev, "keys": cmd_keys,
            "compare-snapshots": cmd_compare_snapshots}[args.command](args)


def _add_keys_parser(commands) -> None:
    keys = commands.add_parser("keys", help="API keys: create (printed once), list, revoke")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="a new API key, printed once alone on the last line")
    create.add_argument("--role", required=True, choices=["national", "commissioner", "provider"])
    create.add_argument("--org", help="the ICB code (commissioner) or trust code (provider)")
    create.add_argument("--name", default="", help="a label: who holds it")
    create.add_argument("--expires", metavar="YYYY-MM-DD", help="refused from this day on (00:00 UTC); "
                                                               "default: until revoked")
    actions.add_parser("list", help="every key (never the key itself): id, role, organisation, dates, label")
    revoke = actions.add_parser("revoke", help="refuse a key from now on (kept, as the audit log names it)")
    revoke.add_argument("key_id")


def cmd_keys(args) -> int:
    from orchestration.settings import Settings

    Settings.from_env().export()
    from api import admin

    if args.keys_command == "create":
        return admin.keys_create(args.role, args.org, args.name, expires=args.expires)
    if args.keys_command == "list":
        return admin.keys_list()
    return admin.keys_revoke(args.key_id)


def _feed_kinds() -> list[str]:
    from orchestration.feeds.catalog import FEEDS
    return list(FEEDS)


def _reference_kinds() -> list[str]:
    from orchestration.feeds.catalog import FEEDS
    return [kind for kind, feed in FEEDS.items() if "ods-trusts" in feed.reference]


def _today() -> date:
    """The day a command is run: the as-at date of whatever it checks or builds, unless --as-at says otherwise."""
    from datetime import datetime, timezone
    return datetime.now(timezone.utc).date()


def cmd_simulate(args) -> int:
    from simulator import simulate

    summary = simulate(args.scale, args.seed, args.out, economy_strength=args.economy_strength, months=args.months,
                       all_months=args.all_months, finance_link=args.finance_link,
                       with_social_care=args.with_social_care, workforce_from=args.workforce_from,
                       size=args.size)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_check_feed(args) -> int:
    """The pipeline's own parse and validation (orchestration/feeds/pipeline.py `check`), minus the store."""
    from orchestration.feeds import ods, pipeline
    from orchestration.feeds.catalog import FEEDS

    feed = FEEDS.get(args.kind)
    if feed is None:
        print(f"oversight check-feed: unknown kind {args.kind!r}; known kinds: {', '.join(FEEDS)}", file=sys.stderr)
        return 2
    for path in filter(None, [args.path, args.icb_names, args.ods_trusts]):
        if not path.is_file():
            print(f"oversight check-feed: {path}: no such file", file=sys.stderr)
            return 2
    if args.published_on and not args.expectations:
        print("oversight check-feed: --published-on applies with --expectations only", file=sys.stderr)
        return 2
    if args.icb_names and "icb-names" not in feed.reference:
        print("oversight check-feed: --icb-names applies to ods-trusts only", file=sys.stderr)
        return 2
    if args.ods_trusts and "ods-trusts" not in feed.reference:
        print(f"oversight check-feed: --ods-trusts applies to {', '.join(_reference_kinds())} only", file=sys.stderr)
        return 2
    as_at = args.as_at or _today()
    references = {}
    for option, reference, column, label in ((args.ods_trusts, ods.TRUSTS, "ods_trusts", "ODS trusts"),
                                             (args.icb_names, ods.ICB_NAMES, "icb_names", "ICB names")):
        if option is None:
            continue
        parsed = reference.parse(option.read_bytes(), str(option), as_at=as_at)
        if not parsed.accepted:
            print(f"oversight check-feed: {option} is not a usable {label} file: "
                  f"{parsed.errors[0].describe(parsed.file) if parsed.errors else 'refused'}", file=sys.stderr)
            return 2
        references[column], references[f"{column}_source"] = parsed.valid, parsed.file
    references = pipeline.References(**references, published_on=args.published_on)
    checked = pipeline.check(feed, args.path.read_bytes(), str(args.path), references, as_at,
                             expectations=args.expectations)
    report = checked.result.report()
    report["file"] = str(args.path)
    report["accepted"] = checked.accepted
    if checked.validation is not None:
        v = checked.validation
        report["expectations"] = {"suite": v.suite, "evaluated": v.evaluated, "blocking": v.blocking,
                                  "published_on": args.published_on, "failed": v.failed}
    print(json.dumps(report, indent=2, default=str))
    return 0 if report["accepted"] else 1


def prepare_home(scale: str = "national", seed: int = 1):
    """Resolve the home, point Dagster at it, and simulate feeds when no feed location is configured."""
    from orchestration.settings import Settings

    settings = Settings.from_env()
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.export()
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    dagster_yaml = settings.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)

    if not settings.feeds_configured:
        from simulator import simulate, simulated_with

        wanted = simulated_with(scale, seed)
        marker = settings.feeds_dir / ".simulated.json"
        if marker.exists() and json.loads(marker.read_text()) == wanted:
            print(f"No feed location configured (OVERSIGHT_FEEDS_URL): the {scale} dataset (seed {seed}) simulated "
                  f"before is in {settings.feeds_dir}")
        else:
            marker.unlink(missing_ok=True)
            simulate(scale, seed, settings.feeds_dir)
            marker.write_text(json.dumps(wanted))
            print(f"No feed location configured (OVERSIGHT_FEEDS_URL): simulated the {scale} dataset (seed {seed}) "
                  f"in {settings.feeds_dir}")
        os.environ["OVERSIGHT_FEEDS_URL"] = settings.feeds_dir.resolve().as_uri()
        settings = Settings.from_env()
    return settings


def cmd_run(args) -> int:
    if args.engine:
        os.environ["OVERSIGHT_ENGINE"] = args.engine  # before the code location loads: dbt's target follows it
    from orchestration.engine import EngineUnavailable
    from orchestration.settings import Settings
    try:
        Settings.from_env().engine.check_available()
    except (EngineUnavailable, ValueError) as exc:
        print(f"oversight run: {exc}", file=sys.stderr)
        return 2
    from orchestration.files import HomeBusy, run_lock
    try:
        with run_lock(Settings.from_env().home):   # the first run of a home simulates its feeds: inside the lock too
            settings = prepare_home(args.scale, args.seed)
            from orchestration.launch import run

            return run(settings, args.as_at or _today())
    except HomeBusy as exc:
        print(f"oversight run: {exc}", file=sys.stderr)
        return 2


def cmd_compare_snapshots(args) -> int:
    from orchestration.compare import compare_snapshots

    try:
        differences = compare_snapshots(args.left, args.right, digits=args.digits)
    except (FileNotFoundError, duckdb_error()) as exc:
        print(f"oversight compare-snapshots: {exc}", file=sys.stderr)
        return 2
    for difference in differences:
        print(difference)
    print(f"{len(differences)} differences" if differences else "the snapshots hold the same tables and rows")
    return 1 if differences else 0


def duckdb_error() -> type[Exception]:
    import duckdb
    return duckdb.Error


def cmd_serve(args) -> int:
    from orchestration.settings import Settings

    settings = Settings.from_env()
    settings.export()
    from api import admin

    base = f"http://{args.host}:{args.port}"
    print("The NHS Oversight Platform API is being served:\n"
          f"  {base}/  (the pages: England, /economies, /trusts/CODE, /methodology, /quality; /sign-in with a key)\n"
          f"  {base}/api/v1/health\n"
          f"  {base}/api/v1/trusts  (every trust on the failure scale; /trusts/CODE its scorecard)\n"
          f"  {base}/api/v1/failure-scale/changes?since=YYYY-MM\n"
          f"  {base}/api/v1/organisations?type=trust\n"
          f"  {base}/api/v1/health-economies\n"
          f"  {base}/api/v1/data-quality  (what came in from each feed, what was refused and why)\n"
          f"  {base}/api/v1/freshness  (each feed's newest release, or 'no releases')\n"
          f"  {base}/docs  (interactive OpenAPI documentation, offline)\n"
          "Restricted data needs a key: `oversight keys create --role national|commissioner|provider`.\n"
          "The Dagster UI on the same data: `make dev`, then http://127.0.0.1:3000\n", flush=True)
    return admin.serve(args.host, args.port, args.workers, args.access_log)


def cmd_feed_server(args) -> int:
    from simulator.feed_server import API_PREFIX, Faults, make_server

    if not args.root.is_dir():
        print(f"oversight feed-server: {args.root}: no such directory", file=sys.stderr)
        return 2
    try:
        faults = Faults.parse(args.faults, args.fault_seed)
    except ValueError as exc:
        print(f"oversight feed-server: --faults: {exc}", file=sys.stderr)
        return 2
    server = make_server(args.root, args.host, args.port, api_key=args.api_key or None, faults=faults,
                         rate_limit=args.rate_limit)
    base = f"http://{args.host}:{server.server_address[1]}"
    print(f"Serving {args.root} at {base}/ (set OVERSIGHT_FEEDS_URL={base})\n"
          f"CQC API at {base}{API_PREFIX} ({len(server.state.locations)} locations, "
          f"{len(server.state.providers)} providers; key header Ocp-Apim-Subscription-Key)", flush=True)
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt
    # SIGTERM stops it as Ctrl-C does, whatever disposition it inherited (a parent may have left it ignored)
    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


DEV_STOP_GRACE_SECONDS = 10.0


def cmd_dev(args) -> int:
    """The Dagster UI (webserver, daemon, code server) on the same home and definitions as `oversight run`, stopped
    cleanly — every process it started — on Ctrl-C (SIGINT) or SIGTERM."""
    import signal
    import subprocess
    import time

    prepare_home()
    dagster = Path(sys.executable).parent / "dagster"
    child = subprocess.Popen([str(dagster), "dev", "-m", "orchestration.definitions", "--port", str(args.port)],
                             start_new_session=True)  # its own process group: we stop all of it, and only it
    stopping: list[float] = []   # when each stop signal came

    def stop(signum, frame):
        if not stopping:
            print(f"\nStopping the Dagster UI ({signal.Signals(signum).name})…", file=sys.stderr, flush=True)
            _signal_group(child, signal.SIGINT)  # what `dagster dev` stops on, for all its processes
        stopping.append(time.monotonic())

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    print(f"The Dagster UI: http://127.0.0.1:{args.port} (Ctrl-C stops it)", flush=True)
    while child.poll() is None:
        time.sleep(0.2)
        # a second signal, or a grace period gone: stop whatever is left of it, at once
        if stopping and (len(stopping) > 1 or time.monotonic() - stopping[0] > DEV_STOP_GRACE_SECONDS):
            _signal_group(child, signal.SIGKILL)
    _signal_group(child, signal.SIGKILL)  # anything of its group left behind (a code server, a run)
    return 0 if stopping else child.returncode


def _signal_group(child, signum) -> None:
    import os
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    sys.exit(main())
