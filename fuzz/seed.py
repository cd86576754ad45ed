#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from tests/fixtures/ (and, for the
signed files, from envelopes made by `veto policy sign` with the fuzz test key, which
scripts/fuzz.sh --seed passes in). Idempotent: seeds are named by content."""
import base64, hashlib, json, os, pathlib, struct, sys

root = pathlib.Path(__file__).resolve().parent.parent
fixtures = root / "tests" / "fixtures"
corpus = root / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)


def fx(name):
    return (fixtures / name).read_bytes()


for name in ["sample-inventory.json", "compliant-inventory.json", "bad/bad-digest.json",
             "bad/malformed.json", "bad/missing-package.json", "bad/not-utf8.json",
             "bad/wrong-profile.json"]:
    put("inventory", fx(name))
for name in ["allowlist-policy.json", "lint-policy.json", "bad/bad-ladder-policy.json",
             "bad/neither.json"]:
    put("policy", fx(name))
    put("managed_config_policy_json", fx(name))
for name in ["managed-config.json", "report-only-config.json", "bad/bad-config-value.json"]:
    put("managed_config", fx(name))
put("managed_config", json.dumps({"policy_json": fx("allowlist-policy.json").decode(),
                                  "denied_packages": "com.a.b, com.c.*"}))
for name in ["sample-state.json", "bad/bad-state.json"]:
    put("state_file", fx(name))
put("capabilities", '{"role":"delegate","delegated_scopes":["delegation-package-access"],"self_package":"app.veto","dpc_package":"com.google.android.apps.work.clouddpc"}')
put("capabilities", '{"role":"profile_owner","affiliated":true}')
put("capabilities", "delegate:package-access,block-uninstall")
put("outcomes", '{"outcomes":[{"package":"com.zhiliaoapp.musically","action":"suspend","result":"done"},{"package":"com.a","action":"uninstall","result":"pending_user"},{"package":"com.b","action":"hide","result":"failed","detail":"launcher"}]}')
put("adb_pm_list_packages", fx("adb/pm-list-packages.txt"))
put("adb_pm_list_users", fx("adb/pm-list-users.txt"))
put("adb_pm_list_users", fx("adb/pm-list-users-no-work.txt"))
put("adb_dumpsys_package", fx("adb/dumpsys-package-com.zhiliaoapp.musically.txt"))
put("adb_dumpsys_package", fx("adb/dumpsys-package-com.android.vending.txt"))

# A queued report as veto-net writes it (created_at 1700000000000 ms, id r1).
queued = {"format": "veto-queued-report/1", "report_id": "r1", "created_at": "2023-11-14T22:13:20Z",
          "attempts": 2, "next_attempt_at": "2023-11-14T22:15:20Z", "last_error": "report: 503",
          "dropped_reports": 1, "body": json.dumps({"report_id": "r1", "compliant": False})}
put("report_queue", json.dumps(queued, indent=2))

# Report bodies as phones send them to veto-server (docs/reporting.md): a compliant one, one
# with findings, reversals, warnings and feed status, and one with the inventory.
report = {"format": "veto-report/1", "report_id": "5b0c8a4e-2f1d-4c7a-9a51-0d6f1e2b3c4d",
          "device_id": "amsterdam-0042", "veto_version": "0.1.0",
          "created_at": "2026-11-22T16:00:05Z", "evaluated_at": "2026-11-22T16:00:00Z",
          "policy": {"version": 7, "mode": "denylist", "expires": None}, "compliant": True,
          "counts": {"findings": 0, "due": 0, "enforced": 0, "failed": 0, "reported": 0,
                     "reversals": 0, "warnings": 0},
          "findings": [], "reversals": [], "warnings": [], "feed": None, "dropped_reports": 0}
put("server_ingest", json.dumps(report))
finding = {"package": "com.zhiliaoapp.musically", "label": "TikTok",
           "rules": ["tiktok", "tiktok-signer"], "step": "suspend", "action": "suspend",
           "status": "due", "in_effect": ["warn"], "first_seen": "2026-11-01T09:00:00Z",
           "deadline": "2026-12-13T09:00:00Z", "degraded": False}
enforced = dict(finding, package="com.ss.android.ugc.trill", status="enforced",
                in_effect=["warn", "suspend", "hide"], step="hide", action=None, archived=True)
report_only = dict(finding, package="com.lemon.lvoverseas", status="reported", action=None,
                   in_effect=[], label=None)
put("server_ingest", json.dumps(dict(
    report, report_id="r-findings", compliant=False, findings=[finding, enforced, report_only],
    counts={"findings": 3, "due": 1, "enforced": 1, "failed": 0, "reported": 1,
            "reversals": 1, "warnings": 1},
    reversals=[{"package": "com.a", "action": "unsuspend", "why": "no rule matches it any more"}],
    warnings=[{"code": "policy_expired", "message": "the policy expired"}],
    feed={"version": 7, "error": None, "checked_at": "2026-11-22T15:45:00Z"},
    dropped_reports=2), indent=2))
put("server_ingest", json.dumps(dict(
    report, report_id="r-inventory",
    inventory=json.loads(fx("sample-inventory.json"))["packages"])))

# Signed envelopes with the fuzz test key (secret seed 0x11 repeated, the same as
# veto_fuzz::feed_secret_key): feed replies, tamper inputs, and the stored last good file a
# sync writes. Signing needs python3-cryptography; without it these seeds are skipped.
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
except ImportError:
    sys.exit(0)
key = Ed25519PrivateKey.from_private_bytes(bytes([0x11] * 32))
public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
key_id = hashlib.sha256(public).hexdigest()[:16]
for name in ["allowlist-policy.json", "lint-policy.json"]:
    payload = fx(name)
    signature = base64.b64encode(key.sign(payload)).decode()
    env = {"format": "veto-signed-policy/1", "key_id": key_id,
           "payload": base64.b64encode(payload).decode(), "signature": signature}
    env_text = json.dumps(env, indent=2) + "\n"
    put("feed_reply", env_text)
    put("envelope_tamper", struct.pack("<H", 40) + b"A" + payload)
    put("envelope_tamper", struct.pack("<H", len(env_text) - 20) + b"B" + payload)
    put("feed_last_good", json.dumps({
        "format": "veto-feed-state/1", "url": "https://feed.example/policy.json",
        "etag": "\"v1\"", "fetched_at": "2026-11-22T16:00:00Z",
        "version": json.loads(payload)["version"],
        "sha256": hashlib.sha256(payload).hexdigest(), "key_id": key_id,
        "public_key": base64.b64encode(public).decode(), "signature": signature,
        "policy_json": payload.decode()}, indent=2))
