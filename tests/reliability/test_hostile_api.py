"""Hostile input to the API, over the session's real marts and real HTTP on loopback (tests/api/conftest.py `marts`).

Property-based fuzzing of every endpoint from the OpenAPI schema (schemathesis: valid and invalid inputs, bounded
examples), injection attempts in every parameter, oversized and malformed requests, and keys that are wrong, revoked,
expired or another organisation's: no server error, the access matrix holds — no restricted figure of a trust the
caller is not entitled to in any answer — and the audit log gains a record for exactly the restricted reads made.
"""
from __future__ import annotations

import re
import socket
import threading
from datetime import datetime, timedelta, timezone

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode

from api.keys import KEY_PATTERN, KeyStore, Role
from api.settings import Settings
from api.store import AccessDatabase
from tests.api.test_access import entitled, finance_fingerprints

ATTACKER = "provider_other"      # a provider key of another trust: public data, and its own trust's restricted data
INJECTIONS = [
    "' OR '1'='1", "1; DROP TABLE fct_trust_finance; --", "' UNION SELECT * FROM fct_trust_finance --",
    "%' OR trust_code LIKE '%", '") OR 1=1 --', "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%00", "\x00",
    "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://127.0.0.1/x}", "$(id)", "`id`", "\u202e\u0000\ufeff",
    "A" * 4000, "-1", "99999999999999999999999", "NaN", "1e309", "[]", "{}", "null", "*",
]


def _hidden(marts, caller: str) -> set[str]:
    trusts = [t for (t,) in marts.query("SELECT DISTINCT trust_code FROM fct_trust_finance")]
    return set().union(*(finance_fingerprints(marts, t) for t in trusts if not entitled(marts, caller, t)))


def _leaks(body: str, hidden: set[str]) -> set[str]:
    return {f for f in hidden if f in body and re.search(rf"(?<![\d.:]){re.escape(f)}(?!\d)", body)}


def _schema(marts):
    document = marts.api.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    return schema, str(marts.api.base_url).removesuffix("/api/v1")


@pytest.mark.parametrize("caller,mode,examples", [
    (ATTACKER, GenerationMode.POSITIVE, 12), (ATTACKER, GenerationMode.NEGATIVE, 8),
    ("national", GenerationMode.POSITIVE, 6)])
def test_fuzzing_every_endpoint_gives_no_server_error_and_leaks_nothing(marts, caller, mode, examples, ledger):
    schema, base = _schema(marts)
    hidden = _hidden(marts, caller)
    assert hidden or caller == "national"
    headers = {"Authorization": f"Bearer {marts.keys[caller]}"}
    cases, failures = 0, []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25, "every endpoint of the API is fuzzed"
    for operation in operations:
        @given(operation.as_strategy(generation_mode=mode))
        @hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                             phases=[hypothesis.Phase.generate],
                             suppress_health_check=list(HealthCheck))
        def fuzz(case):
            nonlocal cases
            cases += 1
            response = case.call(base_url=base, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {case.method} {response.request.url}: {response.text[:200]}")
            elif response.status_code == 200 and _leaks(response.text, hidden):
                failures.append(f"leak to {caller}: {case.method} {response.request.url}")

        try:
            fuzz()
        except hypothesis.errors.Unsatisfiable:     # nothing to make invalid (an endpoint without parameters)
            assert mode is GenerationMode.NEGATIVE
    assert not failures, "\n".join(failures[:10])
    ledger.record("fuzz cases", cases, errors_served=len(failures),
                  what="schemathesis over every endpoint, valid and invalid inputs")


def _fill(marts, template: str) -> str:
    code = marts.trust if "/trusts/" in template or "/organisations/" in template else marts.icb
    return template.replace("{code}", code).replace("{version}", "v1")


def test_injection_in_every_parameter_is_harmless(marts, ledger):
    """Every payload in every path and query parameter of every endpoint, as the attacker: never a 5xx, never
    another trust's restricted figure, never a restricted answer it is not entitled to."""
    document = marts.api.get("/openapi.json").json()
    hidden = _hidden(marts, ATTACKER)
    headers = {"Authorization": f"Bearer {marts.keys[ATTACKER]}"}
    sent, failures = 0, []
    for path, operations in document["paths"].items():
        template = path.removeprefix("/api/v1")
        # the GET operations' path and query parameters (the what-if's POST body: the schemathesis test above)
        for parameter in operations.get("get", {}).get("parameters", []):
            for payload in INJECTIONS:
                if parameter["in"] == "path":
                    url, params = _fill(marts, template.replace("{" + parameter["name"] + "}", "\0")), {}
                    url = url.replace("\0", _quote(payload))
                else:
                    url, params = _fill(marts, template), {parameter["name"]: payload}
                response = marts.api.get(url, params=params, headers=headers)
                sent += 1
                where = f"{path} {parameter['name']}={payload[:40]!r}"
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {where}: {response.text[:200]}")
                elif _leaks(response.text, hidden):
                    failures.append(f"leak: {where}")
                elif template.endswith("/finance") and response.status_code == 200:
                    failures.append(f"restricted answer to the attacker: {where}")
    assert not failures, "\n".join(failures[:10])
    assert marts.get("/trusts", "national").status_code == 200       # the snapshot is as it was
    ledger.record("hostile API requests", sent, errors_served=len(failures),
                  what="injection payloads in every path and query parameter")


def _quote(text: str) -> str:
    from urllib.parse import quote
    return quote(text, safe="")


TAGS = ", ".join(f'W/"{i}"' for i in range(1000))


def _raw(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send bytes as they are (no client library tidies them) and read the answer, or b'' if the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(request)
        except OSError:
            pass
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and len(answer) > 65536:
                    break
        except OSError:
            pass
    return answer


def _status(answer: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return int(match[1]) if match else None


def test_oversized_and_malformed_requests_are_refused_without_a_server_error(marts, ledger):
    port = marts.api.base_url.port
    key = marts.keys["national"]
    requests = {
        "a 100 kB path": f"GET /api/v1/trusts/{'A' * 100_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        "a 100 kB query": f"GET /api/v1/trusts?icb={'A' * 100_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        "2,000 query parameters": ("GET /api/v1/trusts?" + "&".join(f"p{i}=1" for i in range(2000))
                                   + " HTTP/1.1\r\nHost: x\r\n\r\n").encode(),
        "a 100 kB header": f"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nX-Big: {'A' * 100_000}\r\n\r\n".encode(),
        "a 100 kB key": f"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {'A' * 100_000}\r\n\r\n"
                        .encode(),
        "a key of bytes that are not text": b"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe"
                                             b"\x00\r\n\r\n",
        "bad percent-encoding": b"GET /api/v1/trusts/%ZZ%C0%AE%C0%AE HTTP/1.1\r\nHost: x\r\n\r\n",
        "a path that is not UTF-8": b"GET /api/v1/trusts/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        "an encoded null": f"GET /api/v1/trusts/R%00X?period=2026%00 HTTP/1.1\r\nHost: x\r\nAuthorization: "
                           f"Bearer {key}\r\n\r\n".encode(),
        "a body of 10 MB on GET": (f"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nContent-Length: {10 << 20}\r\n"
                                   f"Authorization: Bearer {key}\r\n\r\n").encode() + b"A" * (10 << 20),
        "a body promised and never sent": b"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n"
                                          b"\r\nshort",
        "POST": f"POST /api/v1/trusts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Length: 2\r\n"
                f"\r\n{{}}".encode(),
        "DELETE the audit log": f"DELETE /api/v1/audit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n"
                                .encode(),
        "a request line of garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n",
        "HTTP/0.9": b"GET /api/v1/trusts\r\n\r\n",
        "a negative Content-Length": b"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "two Content-Lengths": b"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 5\r\n"
                               b"\r\nA",
        "an Accept of 10 kB": (f"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nAccept: {'text/csv;q=0.1, ' * 700}"
                               f"\r\nAuthorization: Bearer {key}\r\n\r\n").encode(),
        "If-None-Match of 1,000 tags": (f"GET /api/v1/trusts HTTP/1.1\r\nHost: x\r\nIf-None-Match: {TAGS}\r\n"
                                        f"Authorization: Bearer {key}\r\n\r\n").encode(),
    }
    served, errors = {}, []
    threads = []

    def send(name, request):
        answer = _raw(port, request, timeout=5)
        served[name] = _status(answer)

    for name, request in requests.items():
        thread = threading.Thread(target=send, args=(name, request))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=60)
    for name, status in served.items():
        if status is not None and status >= 500:
            errors.append(f"{name}: {status}")
    assert not errors, errors
    assert served["POST"] == 405 and served["DELETE the audit log"] == 405
    assert served["a 100 kB key"] in (400, 401, 431, None)
    assert len(served) == len(requests)
    assert marts.get("/health").status_code == 200 and marts.get("/trusts", "national").status_code == 200
    ledger.record("hostile API requests", len(requests), errors_served=len(errors),
                  what="oversized and malformed requests (raw bytes)")


def test_keys_wrong_revoked_expired_or_of_another_organisation_are_refused(marts, ledger):
    store = KeyStore(AccessDatabase(Settings(home=marts.home).access_db), lambda: datetime.now(timezone.utc))
    now = datetime.now(timezone.utc)
    expired_record, expired = store.create(Role.national, None, "expired", expires_at=now - timedelta(seconds=1))
    _, live = store.create(Role.national, None, "expires tomorrow", expires_at=now + timedelta(days=1))
    real_id = marts.key_ids["national"]
    secret = KEY_PATTERN.fullmatch(marts.keys["national"])[2]
    finance = f"/trusts/{marts.trust}/finance"
    refused = {  # what is presented → the status it must get, for the trust's restricted finance return
        "expired": (f"Bearer {expired}", 401, "expired"),
        "a real id, a wrong secret": (f"Bearer ovk_{real_id}_{'B' * 43}", 401, "unknown API key"),
        "a real secret, another id": (f"Bearer ovk_{'0' * 12}_{secret}", 401, "unknown API key"),
        "the key cut short": (f"Bearer {marts.keys['national'][:-1]}", 401, "malformed"),
        "the key run on": (f"Bearer {marts.keys['national']}A", 401, "malformed"),
        "the key in upper case": (f"Bearer {marts.keys['national'].upper()}", 401, "malformed"),
        "revoked": (f"Bearer {marts.keys['revoked']}", 401, "revoked"),
        "two keys": (f"Bearer {marts.keys['provider_other']} {marts.keys['national']}", 401, ""),
        "another organisation's": (f"Bearer {marts.keys['provider_other']}", 403, ""),
        "another economy's": (f"Bearer {marts.keys['commissioner_other']}", 403, ""),
    }
    before = marts.last_seq()
    for name, (header, status, detail) in refused.items():
        response = marts.api.get(finance, headers={"Authorization": header})
        assert response.status_code == status, (name, response.status_code, response.text[:200])
        assert detail in response.json()["detail"], (name, response.json()["detail"])
        assert secret not in response.text
    # the trust's code written otherwise is the same trust, or none: never a way round the rule
    for path in (f"/trusts/{marts.trust.lower()}/finance", f"/trusts/{marts.trust}/finance/",
                 f"/trusts/{marts.trust}%20/finance", f"/trusts/%2e%2e/trusts/{marts.trust}/finance",
                 f"//trusts/{marts.trust}/finance", f"/trusts/{_quote(marts.trust)}/finance"):
        response = marts.get(path, ATTACKER)
        assert response.status_code != 200 and response.status_code < 500, (path, response.status_code)
    assert marts.audit(after=before) == []                   # nothing restricted was read
    assert marts.api.get(finance, headers={"Authorization": f"Bearer {live}"}).status_code == 200
    assert store.get(expired_record.key_id).expires_at is not None
    ledger.record("hostile API requests", len(refused) + 6,
                  what="keys wrong, revoked, expired, of another organisation; codes written otherwise")
