"""A small published snapshot built by hand to the serving contract, and real uvicorn on loopback."""
import os
import socket
import threading
import time
from pathlib import Path

import duckdb
import httpx
import uvicorn

from api.main import create_app
from api.settings import Settings

TRUSTS = [
    # code, name, region, icb, open, close, successor, successor date, current successor
    ("RA1", "ALPHA HOSPITALS NHS TRUST", "Y58", "QAA", "2000-04-01", None, None, None, None),
    ("RB1", "BETA PARTNERSHIP NHS FOUNDATION TRUST", "Y58", "QAA", "2001-04-01", None, None, None, None),
    ("RC1", "GAMMA NHS TRUST", "Y62", "QBB", "2002-04-01", None, None, None, None),
    ("RX1", "OLD ONE NHS TRUST", "Y58", "QAA", "1995-04-01", "2013-04-01", "RX2", "2013-04-01", "RB1"),
    ("RX2", "OLD TWO NHS TRUST", "Y58", "QAA", "2013-04-01", "2019-04-01", "RB1", "2019-04-01", "RB1"),
    ("RW1", "WELSH NHS TRUST", None, None, "1998-04-01", None, None, None, None),
]
ICBS = [("QAA", "E54000001", "NHS Aylesworth Integrated Care Board"),
        ("QBB", "E54000002", "NHS Brindle, Calder and Dunmoor Integrated Care Board")]


def build_snapshot(path: Path, run_id: str = "run-1", trusts=TRUSTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{run_id}.tmp.duckdb")
    with duckdb.connect(str(tmp)) as db:
        db.execute("""CREATE TABLE dim_trust (trust_code VARCHAR, trust_name VARCHAR, region_code VARCHAR,
            icb_code VARCHAR, postcode VARCHAR, open_date DATE, close_date DATE, is_open BOOLEAN,
            successor_code VARCHAR, successor_effective_date DATE, current_successor_code VARCHAR)""")
        for c, n, r, i, o, cl, s, sd, cs in trusts:
            db.execute("INSERT INTO dim_trust VALUES (?, ?, ?, ?, 'EX1 1AA', ?, ?, ?, ?, ?, ?)",
                       [c, n, r, i, o, cl, cl is None, s, sd, cs])
        db.execute("CREATE TABLE dim_health_economy (icb_code VARCHAR, icb_ons_code VARCHAR, icb_name VARCHAR, "
                   "open_trust_count INTEGER)")
        for code, ons, name in ICBS:
            count = sum(1 for t in trusts if t[3] == code and t[5] is None)
            db.execute("INSERT INTO dim_health_economy VALUES (?, ?, ?, ?)", [code, ons, name, count])
        db.execute("CREATE TABLE publication (run_id VARCHAR, published_at TIMESTAMP, sources VARCHAR)")
        db.execute("INSERT INTO publication VALUES (?, now(), '{\"ods-trusts\": \"abc\"}')", [run_id])
    os.replace(tmp, path)


class ServerThread:
    """The API app served by real uvicorn on a free loopback port, in a thread; yields an httpx client."""

    def __init__(self, home: Path, **settings):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.app = create_app(Settings(home=home, **settings))
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1", timeout=10)

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)

