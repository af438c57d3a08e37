"""Drives scripts/bench-sync.sh against a running server: upload, then the full feed read."""

import json
import os
import time
import urllib.parse
import urllib.request

BASE, BACKEND, PID = os.environ["BASE"], os.environ["BACKEND"], os.environ["SERVER_PID"]


def peak_rss_mib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def call(method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = {"Authorization": f"Bearer {TOKEN}", **(headers or {})}
    if data is not None:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=h)
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


form = urllib.parse.urlencode({"grant_type": "client_credentials",
                               "client_id": os.environ["CLIENT_ID"],
                               "client_secret": os.environ["CLIENT_SECRET"]}).encode()
with urllib.request.urlopen(urllib.request.Request(BASE + "/api/v1/auth/token", data=form)) as r:
    TOKEN = json.load(r)["access_token"]

run = str(int(time.time()))
patients = [{"external_id": f"B{run}-P{i}", "patient": {
    "first_name": f"Bench{i}", "last_name": "Sync", "date_of_birth": "1980-01-01", "sex": "other"}}
    for i in range(100)]
done = call("POST", "/api/v1/sync/upload", {"patients": patients}, {"Idempotency-Key": f"{run}-patients"})
assert done["counts"]["created"] == 100, done["counts"]

BATCHES, SIZE = 20, 500
started = time.perf_counter()
slowest = 0.0
for b in range(BATCHES):
    records = []
    for k in range(SIZE):
        n = b * SIZE + k
        kind = ({"record_type": "viral_load", "payload": {"copies_per_ml": 40 + n % 5000}}
                if n % 2 else {"record_type": "cd4", "payload": {"cells_per_ul": 200 + n % 800}})
        records.append({"external_id": f"B{run}-R{n}", "patient_external_id": f"B{run}-P{n % 100}",
                        "record": {**kind, "recorded_at": "2026-11-02"}})
    t = time.perf_counter()
    done = call("POST", "/api/v1/sync/upload", {"records": records}, {"Idempotency-Key": f"{run}-{b}"})
    slowest = max(slowest, time.perf_counter() - t)
    assert done["counts"]["created"] == SIZE, done["counts"]
upload_s = time.perf_counter() - started
total = BATCHES * SIZE
print(f"{BACKEND:8} upload  {total} records in {BATCHES} batches of {SIZE}: {upload_s:7.1f} s, "
      f"{total / upload_s:7.1f} records/s, slowest batch {slowest:5.2f} s, server peak RSS {peak_rss_mib():6.1f} MiB")

started = time.perf_counter()
cursor, records, changes, pages, slowest = "", 0, 0, 0, 0.0
while True:
    t = time.perf_counter()
    page = call("GET", "/api/v1/sync/changes?" + urllib.parse.urlencode({"since": cursor, "limit": 1000}))
    slowest = max(slowest, time.perf_counter() - t)
    pages += 1
    changes += len(page["changes"])
    records += sum(1 for c in page["changes"] if c["entity"] == "record" and not c["deleted"])
    cursor = page["next_cursor"]
    if not page["has_more"]:
        break
feed_s = time.perf_counter() - started
print(f"{BACKEND:8} feed    {changes} changes ({records} records) in {pages} pages of 1000: {feed_s:7.1f} s, "
      f"{changes / feed_s:7.1f} changes/s, slowest page {slowest:5.2f} s, server peak RSS {peak_rss_mib():6.1f} MiB")
