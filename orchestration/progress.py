"""A person's console: what `oversight run` shows while the pipeline runs, as Dagster loggers.

- `progress` prints a line per feed file and release (stored / unchanged / refused, with rows and reason — the
  ingestion assets' own summaries), the models as dbt builds them (a count, not a line each), each check that
  failed, and the publication; while a step runs for long with nothing to say, it says it is still running.
- `file` writes every event, DEBUG included, to a log file under `$OVERSIGHT_HOME/logs/` (the Dagster UI holds
  the same events for runs it launches).

`oversight run` selects both in its run config (`run_config`); runs launched from the UI keep Dagster's own logs.
"""
from __future__ import annotations

import logging
import re
import sys
import threading
import time
from pathlib import Path

import dagster as dg

HEARTBEAT_SECONDS = 20.0
# dbt's log lines worth a person's eye: "8 of 202 ERROR creating …", "FAIL 3 …", and the error's own line.
DBT_PROBLEM = re.compile(r"^\s*(\d+ of \d+ (ERROR|FAIL)\b|\S*\s*(Binder|Catalog|Parser|Runtime|Database|Compilation) "
                         r"Error\b)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
OUTCOME_PREFIX = "[feed] "        # what ingestion assets log for a person: one line per file or release
PUBLISH_PREFIX = "[publish] "


class ProgressHandler(logging.Handler):
    """Turns the run's events into a few lines for a person."""

    def __init__(self, stream=None):
        super().__init__(logging.DEBUG)
        self.stream = stream or sys.stdout
        self.models = 0
        self.last_output = time.monotonic()
        self.running: dict[str, float] = {}   # step key → when it started
        self._stop = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def say(self, line: str) -> None:
        with self._lock:
            print(line, file=self.stream, flush=True)
            self.last_output = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        message = meta.get("orig_message") or record.getMessage()
        if event is None:
            if message.startswith((OUTCOME_PREFIX, PUBLISH_PREFIX)):
                self.say("  " + message.split("] ", 1)[1])
            elif DBT_PROBLEM.search(message):  # dbt's own lines (DEBUG): only a model or test that failed, and why
                self.say(f"  ✗ dbt: {ANSI.sub('', message).strip()[:300]}")
            elif record.levelno >= logging.WARNING and not message.startswith("Dependencies for step"):
                self.say(f"  ! {message.strip().splitlines()[0][:300]}")
            return
        kind = event.event_type_value
        step = event.step_key or ""
        if kind == "STEP_START":
            self.running[step] = time.monotonic()
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            started = self.running.pop(step, None)
            if kind == "STEP_FAILURE":
                self.say(f"  ✗ {step} failed: {_root_cause(event.event_specific_data.error, message)}")
            elif started is not None and time.monotonic() - started > HEARTBEAT_SECONDS and self.models:
                self.say(f"  … {step} done in {time.monotonic() - started:.0f} s")
        elif kind == "ASSET_MATERIALIZATION":
            key = event.event_specific_data.materialization.asset_key
            if len(key.path) == 1 and step.startswith("warehouse_models"):
                self.models += 1
                if self.models == 1 or self.models % 10 == 0:
                    self.say(f"  models: {self.models} built")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                severity = "blocking" if data.severity == dg.AssetCheckSeverity.ERROR else "caution"
                self.say(f"  ! check {data.asset_check_key.to_user_string()} failed ({severity})")

    def _heartbeat(self) -> None:
        while not self._stop.wait(5.0):
            quiet = time.monotonic() - self.last_output
            if self.running and quiet > HEARTBEAT_SECONDS:
                step, started = min(self.running.items(), key=lambda item: item[1])
                self.say(f"  … still running {step} ({time.monotonic() - started:.0f} s)")

    def close(self) -> None:
        self._stop.set()
        super().close()


def _root_cause(error, fallback: str) -> str:
    """The innermost error's message (Dagster wraps what the step raised), its first lines."""
    while error is not None and error.cause is not None:
        error = error.cause
    text = (error.message if error is not None else fallback).strip()
    return " ".join(text.splitlines()[:3])[:600]


@dg.logger(description="A line per feed file and release, the models' count, failed checks, and a heartbeat.")
def progress_logger(init_context) -> logging.Logger:
    logger = logging.Logger("oversight.progress", level=logging.DEBUG)
    logger.addHandler(ProgressHandler())
    return logger


@dg.logger(config_schema={"path": dg.Field(str, description="the log file (appended to)")},
           description="Every event of the run, DEBUG included, to a file.")
def file_logger(init_context) -> logging.Logger:
    path = Path(init_context.logger_config["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.Logger("oversight.file", level=logging.DEBUG)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger


LOGGERS = {"progress": progress_logger, "file": file_logger}


def run_config(log_path: Path) -> dict:
    """The run config `oversight run` gives each run: the person's console, and the whole log to a file."""
    return {"loggers": {"progress": {}, "file": {"config": {"path": str(log_path)}}}}
