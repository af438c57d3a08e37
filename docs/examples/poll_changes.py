#!/usr/bin/env python3
"""Polls HospitalLink's changes feed for a hospital system: what its hospital may see that
changed since the last run, oldest first, printed one change a line (JSON).

Standard library only. The cursor is kept in a file, written after each page is handled, so a
run that stops anywhere starts again where it left off and never skips a change. A change may be
handled twice only if the script stops between handling a page and saving its cursor: make your
handling idempotent (upsert by `entity` and `id`).

    HOSPITALLINK_URL=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... \\
        python3 docs/examples/poll_changes.py [--once] [--cursor-file FILE] [--every SECONDS]

The client needs the `sync` scope, and `patients.read` / `records.read` for what it reads.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def token(base, client_id, secret):
    """An access token by the client-credentials grant (no refresh token: ask again)."""
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/api/v1/auth/token", data=form)) as r:
        answer = json.load(r)
    return answer["access_token"], time.monotonic() + int(answer["expires_in"]) - 30


def page(base, access, since, limit):
    query = urllib.parse.urlencode({"since": since, "limit": limit})
    request = urllib.request.Request(
        f"{base}/api/v1/sync/changes?{query}", headers={"Authorization": f"Bearer {access}"}
    )
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def handle(change):
    """Replace with your system's own handling. A change is the thing as it is now; `deleted`
    is a tombstone (a deleted record, or a patient removed from your hospital)."""
    print(json.dumps(change, sort_keys=True), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--once", action="store_true", help="read to the end of the feed, then stop")
    p.add_argument("--cursor-file", default="hospitallink.cursor")
    p.add_argument("--every", type=float, default=60.0, help="seconds between polls")
    p.add_argument("--limit", type=int, default=500, help="changes per page (1-1000)")
    args = p.parse_args()
    base = os.environ.get("HOSPITALLINK_URL", "http://127.0.0.1:3000").rstrip("/")
    client_id, secret = os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"]
    try:
        with open(args.cursor_file) as f:
            cursor = f.read().strip()
    except FileNotFoundError:
        cursor = ""  # from the beginning
    access, expires = token(base, client_id, secret)
    while True:
        if time.monotonic() > expires:
            access, expires = token(base, client_id, secret)
        try:
            answer = page(base, access, cursor, args.limit)
        except urllib.error.HTTPError as e:
            if e.code == 401:  # expired or rotated: a new token, then the same page again
                access, expires = token(base, client_id, secret)
                continue
            if e.code in (429, 503):
                time.sleep(int(e.headers.get("Retry-After", "5")))
                continue
            sys.exit(f"the feed answered {e.code}: {e.read().decode(errors='replace')}")
        for change in answer["changes"]:
            handle(change)
        cursor = answer["next_cursor"]
        with open(args.cursor_file + ".tmp", "w") as f:
            f.write(cursor)
        os.replace(args.cursor_file + ".tmp", args.cursor_file)
        if answer["has_more"]:
            continue
        if args.once:
            return
        time.sleep(args.every)


if __name__ == "__main__":
    main()
