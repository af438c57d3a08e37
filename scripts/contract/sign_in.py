"""Signs in to a running server and prints an access token, for the contract test.

    sign_in.py BASE_URL EMAIL PASSWORD
    sign_in.py BASE_URL --patient EMAIL ADMIN_TOKEN

A staff account without a second factor gets its tokens from the password. An administrator
without one enrols on the way (set-up, a code computed from the secret, confirmation) and signs
in again with one of the recovery codes that enrolment shows. A patient asks for a code, which
an administrator's token reads from the development outbox. Standard library only."""
import base64
import hashlib
import hmac
import json
import re
import struct
import sys
import time
import urllib.request


def post(base, path, body, token=None):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else b"",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def totp(secret, at=None):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def sign_in(base, email, password):
    answer = post(base, "/api/v1/auth/admin/login", {"email": email, "password": password})
    if "access_token" in answer:
        me = urllib.request.Request(
            base + "/api/v1/auth/me",
            headers={"Authorization": "Bearer " + answer["access_token"]},
        )
        with urllib.request.urlopen(me) as response:
            if not json.load(response).get("mfa_enrollment_required"):
                return answer["access_token"]
        setup = post(base, "/api/v1/auth/mfa/setup", None, answer["access_token"])
        codes = post(
            base,
            "/api/v1/auth/mfa/confirm",
            {"code": totp(setup["secret"])},
            answer["access_token"],
        )["recovery_codes"]
        answer = post(base, "/api/v1/auth/admin/login", {"email": email, "password": password})
        answer = post(
            base, "/api/v1/auth/mfa", {"mfa_token": answer["mfa_token"], "code": codes[0]}
        )
    return answer["access_token"]


def sign_in_patient(base, email, admin_token):
    request = urllib.request.Request(
        base + "/api/v1/auth/patient/request-otp",
        data=json.dumps({"email": email}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).close()
    for _ in range(50):
        page = urllib.request.Request(
            base + "/admin/outbox", headers={"Authorization": "Bearer " + admin_token}
        )
        with urllib.request.urlopen(page) as response:
            html = response.read().decode()
        rows = [row for row in html.split("<tr") if email in row]
        found = rows and re.search(r"sign-in code is (\d{6})", rows[0])
        if found:
            return post(
                base,
                "/api/v1/auth/patient/verify-otp",
                {"email": email, "code": found.group(1)},
            )["access_token"]
        time.sleep(0.2)
    raise SystemExit(f"no sign-in code for {email} in the outbox")


if __name__ == "__main__":
    if sys.argv[2] == "--patient":
        print(sign_in_patient(sys.argv[1], sys.argv[3], sys.argv[4]))
    else:
        print(sign_in(*sys.argv[1:4]))
