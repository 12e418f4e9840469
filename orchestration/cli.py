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

    run = commands.add_parser("run", help="simulate feeds if none are configured, then materialise every asset")
    run.add_argument("--scale", choices=["small", "national"], default="national")
    run.add_argument("--seed", type=int, default=1)

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

    args = parser.parse_args(argv)
    return {"simulate": cmd_simulate, "check-feed": cmd_check_feed, "run": cmd_run,
            "serve": cmd_serve, "feed-server": cmd_feed_server, "dev": cmd_dev, "keys": cmd_keys}[args.command](args)


def _add_keys_parser(commands) -> None:
    keys = commands.add_parser("keys", help="API keys: create (printed once), list, revoke")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="a new API key, printed once alone on the last line")
    create.add_argument("--role", required=True, choices=["national", "commissioner", "provider"])
    create.add_argument("--org", help="the ICB code (commissioner) or trust code (provider)")
    create.add_argument("--name", default="", help="a label: who holds it")
    actions.add_parser("list", help="every key (never the key itself): id, role, organisation, dates, label")
    revoke = actions.add_parser("revoke", help="refuse a key from now on (kept, as the audit log names it)")
    revoke.add_argument("key_id")


def cmd_keys(args) -> int:
    from orchestration.settings import Settings

    Settings.from_env().export()
    from api import admin

    if args.keys_command == "create":
        return admin.keys_create(args.role, args.org, args.name)
    if args.keys_command == "list":
        return admin.keys_list()
    return admin.keys_revoke(args.key_id)


def _feed_kinds() -> list[str]:
    from orchestration.feeds.registry import CHECK_KINDS
    return list(CHECK_KINDS)


def _reference_kinds() -> list[str]:
    from orchestration.feeds.registry import CHECK_KINDS
    return [kind for kind, parse in CHECK_KINDS.items() if parse.takes_reference]


def cmd_simulate(args) -> int:
    from simulator import simulate

    summary = simulate(args.scale, args.seed, args.out, economy_strength=args.economy_strength, months=args.months,
                       all_months=args.all_months, finance_link=args.finance_link,
                       with_social_care=args.with_social_care, workforce_from=args.workforce_from)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_check_feed(args) -> int:
    from orchestration.feeds.ods.layouts import check_trust_icbs
    from orchestration.feeds.reference import OdsTrusts
    from orchestration.feeds.registry import CHECK_KINDS

    parse = CHECK_KINDS.get(args.kind)
    if parse is None:
        print(f"oversight check-feed: unknown kind {args.kind!r}; known kinds: {', '.join(CHECK_KINDS)}", file=sys.stderr)
        return 2
    for path in filter(None, [args.path, args.icb_names, args.ods_trusts]):
        if not path.is_file():
            print(f"oversight check-feed: {path}: no such file", file=sys.stderr)
            return 2
    if args.published_on and not args.expectations:
        print("oversight check-feed: --published-on applies with --expectations only", file=sys.stderr)
        return 2
    if args.icb_names and args.kind != "ods-trusts":
        print("oversight check-feed: --icb-names applies to ods-trusts only", file=sys.stderr)
        return 2
    reference = reference_table = None
    if args.ods_trusts:
        if not parse.takes_reference:
            print(f"oversight check-feed: --ods-trusts applies to {', '.join(_reference_kinds())} only",
                  file=sys.stderr)
            return 2
        trusts = CHECK_KINDS["ods-trusts"](args.ods_trusts.read_bytes(), str(args.ods_trusts))
        if not trusts.accepted:
            print(f"oversight check-feed: --ods-trusts {args.ods_trusts} is not a usable ODS trusts file: "
                  f"{trusts.errors[0].describe(trusts.file) if trusts.errors else 'refused'}", file=sys.stderr)
            return 2
        reference = OdsTrusts.from_table(trusts.valid, trusts.file)
        reference_table = trusts.valid
    result = parse(args.path.read_bytes(), str(args.path), reference=reference)
    if args.icb_names:
        check_trust_icbs(result, CHECK_KINDS["icb-names"](args.icb_names.read_bytes(), str(args.icb_names)))
    report = result.report()
    report["accepted"] = result.accepted and not result.errors if args.icb_names else result.accepted
    report["file"] = str(args.path)
    if args.expectations and report["accepted"]:
        report["expectations"] = _feed_expectations(args, result, reference_table)
        report["accepted"] = not report["expectations"]["blocking"]
    print(json.dumps(report, indent=2, default=str))
    return 0 if report["accepted"] else 1


def _feed_expectations(args, result, ods_trusts) -> dict:
    """The feed's suite, in memory (nothing is written to the GX project): what the pipeline would refuse. Without
    the previous release the volume band is not checked; without --published-on, neither is freshness."""
    from expectations.registry import FEED_SUITES, SuiteContext, validate

    trusts = result.valid if args.kind == "ods-trusts" else ods_trusts  # as the ingestion does
    validation = validate(result.valid, FEED_SUITES[args.kind],
                          SuiteContext(published_on=args.published_on, ods_trusts=trusts))
    return {"suite": validation.suite, "evaluated": validation.evaluated, "blocking": validation.blocking,
            "published_on": args.published_on, "failed": validation.failed}


def prepare_home(scale: str = "national", seed: int = 1):
    """Resolve the home, point Dagster at it, and simulate feeds when no feed location is configured."""
    from orchestration.settings import URL_VARIABLES, Settings

    settings = Settings.from_env()
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.export()
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    dagster_yaml = settings.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)

    configured = settings.feeds_url or any(os.environ.get(v) for v in URL_VARIABLES.values())
    if not configured:
        from simulator import simulate

        summary = simulate(scale, seed, settings.feeds_dir)
        print(f"No feed location configured (OVERSIGHT_FEEDS_URL): simulated the {scale} dataset (seed {seed}) "
              f"in {settings.feeds_dir}")
        os.environ["OVERSIGHT_FEEDS_URL"] = settings.feeds_dir.resolve().as_uri()
        settings = Settings.from_env()
        del summary
    return settings


def cmd_run(args) -> int:
    settings = prepare_home(args.scale, args.seed)
    import dagster as dg

    from orchestration.definitions import REFRESH_JOB, defs

    with dg.DagsterInstance.get() as instance:
        results = ingest_releases(defs, instance, settings)
        result = defs.resolve_job_def(REFRESH_JOB).execute_in_process(instance=instance, raise_on_error=False)
    from expectations.registry import build_data_docs
    docs = build_data_docs(settings.gx_root)  # every validation of this run, whatever its outcome
    rejected = [r for r in results if not r.success]
    for failed in rejected:
        print(f"\nRelease {failed.dagster_run.tags.get('dagster/partition')} of job {failed.dagster_run.job_name} "
              "FAILED; the releases stored before stay as they were:", file=sys.stderr)
        _print_failures(failed)
    if not result.success:
        print(f"\nRun {result.run_id} FAILED. The published snapshot (if any) is unchanged: {settings.serving_path}",
              file=sys.stderr)
        _print_failures(result)
    blocking, cautions = _failed_checks([*results, result])
    for check in blocking:
        print(f"  - blocking check {check} failed", file=sys.stderr)
    for check in cautions:
        print(f"  - caution: check {check} failed with a warning (the run went on)", file=sys.stderr)
    if rejected or not result.success:
        print(f"Why, expectation by expectation: GET /api/v1/data-quality, and the Data Docs at {docs}",
              file=sys.stderr)
        return 1
    print(f"\nRun {result.run_id} succeeded.\n  warehouse (pipeline): {settings.warehouse_path}\n"
          f"  published snapshot (API): {settings.serving_path}\n"
          f"  data quality (GX Data Docs): {docs}")
    return 0


def _failed_checks(results) -> tuple[list[str], list[str]]:
    """The asset checks that failed in these runs: (blocking, with ERROR severity; cautions, with WARN)."""
    import dagster as dg

    blocking, cautions = [], []
    for run in results:
        for event in run.all_events:
            if event.event_type_value != "ASSET_CHECK_EVALUATION" or event.event_specific_data.passed:
                continue
            name = event.event_specific_data.asset_check_key.to_user_string()
            partition = run.dagster_run.tags.get("dagster/partition")
            name += f" (release {partition})" if partition else ""
            is_error = event.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
            (blocking if is_error else cautions).append(name)
    return blocking, cautions


def _print_failures(result) -> None:
    for event in result.all_events:
        if event.is_step_failure:
            print(f"  - step {event.step_key}: {event.event_specific_data.error.message.strip()}", file=sys.stderr)


def ingest_releases(defs, instance, settings) -> list:
    """Every release listed by each release feed's index becomes a partition and is ingested, oldest first.
    A release already stored from the same bytes is a quick no-op, so re-running is cheap."""
    from orchestration.feeds.ingest import discover_releases
    from orchestration.feeds.registry import RELEASE_FEEDS

    results = []
    for spec in RELEASE_FEEDS.values():
        _, releases = discover_releases(spec, settings)
        keys = [r.key for r in releases]
        known = set(instance.get_dynamic_partitions(spec.partitions_name))
        instance.add_dynamic_partitions(spec.partitions_name, [k for k in keys if k not in known])
        job = defs.resolve_job_def(f"ingest_{spec.feed}_{spec.table}_releases")
        for key in keys:
            outcome = job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False)
            results.append(outcome)
            print(f"{spec.kind} release {key}: {'ingested' if outcome.success else 'FAILED'}", flush=True)
    # the CQC API is pulled whole, once per day: today's pull is the partition
    from datetime import datetime, timezone

    from orchestration.feeds.registry import CQC_API_FEED

    today = datetime.now(timezone.utc).date().isoformat()
    if today not in instance.get_dynamic_partitions(CQC_API_FEED.partitions_name):
        instance.add_dynamic_partitions(CQC_API_FEED.partitions_name, [today])
    job = defs.resolve_job_def(f"ingest_{CQC_API_FEED.feed}_{CQC_API_FEED.table}_releases")
    outcome = job.execute_in_process(instance=instance, partition_key=today, raise_on_error=False)
    results.append(outcome)
    print(f"{CQC_API_FEED.kind} pull {today}: {'ingested' if outcome.success else 'FAILED'}", flush=True)
    return results


def cmd_serve(args) -> int:
    from orchestration.settings import Settings

    settings = Settings.from_env()
    settings.export()
    from api import admin

    base = f"http://{args.host}:{args.port}"
    print("The NHS Oversight Platform API is being served:\n"
          f"  {base}/api/v1/health\n"
          f"  {base}/api/v1/trusts  (every trust on the failure scale; /trusts/CODE its scorecard)\n"
          f"  {base}/api/v1/failure-scale/changes?since=YYYY-MM\n"
          f"  {base}/api/v1/organisations?type=trust\n"
          f"  {base}/api/v1/health-economies\n"
          f"  {base}/api/v1/data-quality  (what came in from each feed, what was refused and why)\n"
          f"  {base}/docs  (interactive OpenAPI documentation)\n"
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
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_dev(args) -> int:
    prepare_home()
    dagster = Path(sys.executable).parent / "dagster"
    os.execv(str(dagster), [str(dagster), "dev", "-m", "orchestration.definitions", "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
