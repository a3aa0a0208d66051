"""The Census, BLS and BEA APIs on loopback, answering with the recordings in `recordings/`.

Paths: `/census/<year>/acs/acs1[/subject]`, `/pep/<decade>-<vintage>/metro/totals/<file>`,
`/bls/timeseries/data/` (POST) and `/bea/data`. BLS answers only the series it was asked
for, and names the others in `message` as having no data, as the API does. A test queues
other answers for a path with `then(path, status, body, headers)`; each is used once, then
the recording answers again; `<path>#us` names a path's national request. Every request is kept
in `requests`.
"""

import json
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDINGS = Path(__file__).resolve().parent / "recordings"
ROUTES = {
    "/census/2023/acs/acs1": "census_acs1_2023_detailed.json",
    "/census/2023/acs/acs1/subject": "census_acs1_2023_subject.json",
    "/census/2023/acs/acs1#us": "census_acs1_2023_detailed_us.json",
    "/census/2023/acs/acs1/subject#us": "census_acs1_2023_subject_us.json",
    "/pep/2020-2023/metro/totals/cbsa-est2023-alldata.csv": "pep_cbsa-est2023-alldata.csv",
    "/bea/data": "bea_cainc1_2023.json",
    "/bea/data#us": "bea_cainc1_2023_us.json",
}
NATIONAL = "#us"  # a path's national request (Census `for=us:1`, BEA `GeoFips=00000`)


def route(path: str, query: dict) -> str:
    """The path, with NATIONAL appended for a request of the nation's figures."""
    national = query.get("for") == ["us:1"] or query.get("GeoFips") == ["00000"]
    return path + NATIONAL if national else path


def recording(name: str) -> bytes:
    return (RECORDINGS / name).read_bytes()


class FakeAgencies:
    def __init__(self):
        self.requests: list[dict] = []
        self.queued: dict[str, deque] = defaultdict(deque)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def then(self, path: str, status: int, body: bytes = b"", headers: dict | None = None):
        self.queued[path].append((status, body, headers or {}))

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def answer(self, method: str, path: str, body: dict | None) -> tuple[int, bytes, dict]:
        """path: as route() gives it."""
        if self.queued[path]:
            return self.queued[path].popleft()
        if method == "POST" and path == "/bls/timeseries/data/":
            return 200, self._bls(body or {}), {"Content-Type": "application/json"}
        if path in ROUTES:
            kind = "text/csv" if ROUTES[path].endswith(".csv") else "application/json"
            return 200, recording(ROUTES[path]), {"Content-Type": kind}
        return 404, b"Not found", {"Content-Type": "text/plain"}

    def _bls(self, body: dict) -> bytes:
        recorded = json.loads(recording("bls_laus_2023.json"))
        by_id = {s["seriesID"]: s for s in recorded["Results"]["series"]}
        asked = body.get("seriesid", [])
        series = [by_id[s] for s in asked if s in by_id]
        unknown = [s for s in asked if s not in by_id or not by_id[s]["data"]]
        return json.dumps(
            {
                "status": "REQUEST_SUCCEEDED",
                "responseTime": 42,
                "message": [f"No Data Available for Series {s} Year: 2023" for s in unknown],
                "Results": {"series": series},
            }
        ).encode()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method: str):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append(
                    {
                        "method": method,
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "body": body,
                    }
                )
                status, content, headers = fake.answer(
                    method, route(parts.path, parse_qs(parts.query)), body
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        return Handler
