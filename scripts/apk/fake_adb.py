#!/usr/bin/env python3
"""A stand-in for `adb` that lets scripts/apk/test-device-acceptance.sh run
scripts/device-acceptance.sh end to end on CI. It keeps a small model of one device (users,
packages installed per user, who suspended what, notifications, the profile owner) in the JSON
file $FAKE_ADB_STATE, and answers in the formats of tests/fixtures/device/ (Android 14).

Its "Veto" is a model too: on the SCAN broadcast it suspends (as the admin, suspending package
"android") the targets the applied config bars, notifies, and reverses only suspensions it made.
That exercises the acceptance script's orchestration, parsing and verdicts, not Veto itself (a
phone does that). $FAKE_ADB_FAULT makes the model misbehave, and the script must then say FAIL:
  harmless   also suspends the harmless app
  overreach  when lifting, also removes the shell's suspension
  stopped    Veto has no launcher activity and notifies nobody
"""
import json
import os
import re
import subprocess
import sys

STATE = os.environ.get("FAKE_ADB_STATE", "/tmp/fake-adb-state.json")
FAULT = os.environ.get("FAKE_ADB_FAULT", "")
TARGETS = os.environ.get("FAKE_ADB_TARGETS", "")
ADMIN = "app.veto/app.veto.trigger.VetoAdminReceiver"


def load():
    if os.path.exists(STATE):
        with open(STATE) as f:
            return json.load(f)
    return {"users": [0], "installed": {}, "suspenders": {}, "hidden": {}, "owner": {}, "config": {},
            "veto_did": {}, "notifications": [], "digests": {}}


def save(s):
    with open(STATE, "w") as f:
        json.dump(s, f)


def roles():
    out = {}
    with open(os.path.join(TARGETS, "targets.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                file, pkg, label, key, role = line.rstrip("\n").split("\t")
                out[pkg] = (role, label)
    return out


def package_of(apk):
    out = subprocess.run(["aapt2", "dump", "badging", apk], stdout=subprocess.PIPE, text=True).stdout
    return re.search(r"package: name='([^']+)'", out).group(1)


def digest_of(apk):
    out = subprocess.run(["apksigner", "verify", "--print-certs", apk], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"SHA-256 digest: ([0-9a-f]+)", out)
    return m.group(1) if m else ""


def key(user, pkg):
    return "%s|%s" % (user, pkg)


def veto_scan(s, user):
    r = roles()
    cfg = s["config"].get(str(user), {})
    barred = set()
    for pkg in s["installed"].get(str(user), []):
        role = r.get(pkg, ("", ""))[0]
        if role == "barred-by-catalog" and cfg.get("use_builtin_catalog", True):
            barred.add(pkg)
        if role == "barred-by-signer" and s["digests"].get(pkg) and s["digests"][pkg] in cfg.get("denied_signers", ""):
            barred.add(pkg)
    if FAULT == "harmless":
        barred |= {p for p in s["installed"].get(str(user), []) if r.get(p, ("",))[0] == "never-touched"}
    did = set(s["veto_did"].get(str(user), []))
    for pkg in sorted(barred):
        sus = s["suspenders"].setdefault(key(user, pkg), [])
        if not sus:
            sus.append("android")
            did.add(pkg)
            if FAULT != "stopped":
                s["notifications"].append({"user": user, "pkg": pkg, "id": 1000 + len(s["notifications"]),
                                           "label": r.get(pkg, ("", pkg))[1]})
    for pkg in sorted(did - barred):
        sus = s["suspenders"].get(key(user, pkg), [])
        if "android" in sus:
            sus.remove("android")
        if FAULT == "overreach":
            sus.clear()
        did.discard(pkg)
    if FAULT == "overreach" and not barred:
        for k in list(s["suspenders"]):
            if k.startswith("%s|" % user):
                s["suspenders"][k] = []
    s["veto_did"][str(user)] = sorted(did)


def dump_package(s, pkg):
    users = [u for u in s["users"] if pkg in s["installed"].get(str(u), [])]
    if not users and pkg not in ("app.veto",):
        return "Unable to find package: %s\n" % pkg
    lines = ["Packages:", "  Package [%s] (1a2b3c4):" % pkg, "    appId=10231", "    versionCode=1 minSdk=26 targetSdk=35"]
    for u in s["users"]:
        inst = pkg in s["installed"].get(str(u), [])
        sus = s["suspenders"].get(key(u, pkg), [])
        hid = s["hidden"].get(key(u, pkg), False)
        lines.append("    User %d: ceDataInode=0 deDataInode=0 installed=%s hidden=%s suspended=%s distractionFlags=0 "
                     "stopped=true notLaunched=true enabled=0 instant=false virtual=false quarantined=false"
                     % (u, str(inst).lower(), str(hid).lower(), str(bool(sus)).lower()))
        if sus:
            lines.append("      Suspend params:")
            lines += ["        suspendingPackage=%s dialogInfo=null" % who for who in sus]
        lines.append("      installReason=0")
    return "\n".join(lines) + "\n"


def main(args):
    if args[:1] == ["-s"]:
        args = args[2:]
    s = load()
    cmd = " ".join(args)
    out = ""
    if args == ["get-state"]:
        out = "device\n"
    elif cmd == "shell getprop ro.build.version.sdk":
        out = "34\n"
    elif cmd.startswith("shell pm create-user --profileOf 0 --managed"):
        s["users"].append(10)
        out = "Success: created user id 10\n"
    elif cmd.startswith("shell am start-user"):
        out = "Success: user started\n"
    elif args[0] == "install":
        user, apk = args[args.index("--user") + 1], args[-1]
        pkg = package_of(apk)
        s["installed"].setdefault(user, []).append(pkg)
        if roles().get(pkg, ("",))[0] == "barred-by-signer":
            s["digests"][pkg] = digest_of(apk)
        out = "Performing Streamed Install\nSuccess\n"
    elif cmd.startswith("shell dpm set-profile-owner"):
        user = args[args.index("--user") + 1]
        s["owner"][user] = args[-1]
        out = "Success: Active admin and profile owner set to ComponentInfo{%s} for user %s\n" % (args[-1], user)
    elif cmd.startswith("shell pm grant"):
        out = ""
    elif cmd.startswith("shell am start"):
        if FAULT == "stopped":
            out = "Error: Activity class {%s} does not exist.\n" % args[-1]
        else:
            out = "Starting: Intent { cmp=%s }\nStatus: ok\nLaunchState: COLD\nActivity: %s\nTotalTime: 412\nWaitTime: 415\nComplete\n" % (args[-1], args[-1])
    elif cmd.startswith("shell pm suspend"):
        user, pkg = args[args.index("--user") + 1], args[-1]
        s["suspenders"].setdefault(key(user, pkg), []).append("com.android.shell")
        out = "Package %s new suspended state: true\n" % pkg
    elif cmd.startswith("shell am broadcast"):
        user = int(args[args.index("--user") + 1])
        action = args[args.index("-a") + 1]
        if action.endswith("SET_CONFIG"):
            cfg = json.loads(args[args.index("--es") + 2].strip("'"))
            s["config"][str(user)] = cfg
            data = "config set: " + ",".join(sorted(cfg))
        else:
            veto_scan(s, user)
            data = "scan requested"
        out = "Broadcasting: Intent { act=%s flg=0x400000 cmp=app.veto/.devicetest.TestPolicyReceiver }\n" \
              "Broadcast completed: result=1, data=\"%s\"\n" % (action, data)
    elif cmd.startswith("shell dumpsys package "):
        out = dump_package(s, args[-1])
    elif cmd.startswith("shell dumpsys notification"):
        out = "Current Notification Manager state:\n  Notification List:\n"
        for n in s["notifications"]:
            out += ("    NotificationRecord(0x0abc%04x: pkg=app.veto user=UserHandle{%d} id=%d tag=%s importance=4 key=%d|app.veto|%d|%s|1010231: "
                    "Notification(channel=veto_notices shortcut=null contentView=null vibrate=null sound=null defaults=0x0 flags=0x8 color=0x00000000 vis=PRIVATE))\n"
                    "      uid=1010231 userId=%d\n        extras={\n          android.title=String (%s must be removed)\n        }\n"
                    % (n["id"], n["user"], n["id"], n["pkg"], n["user"], n["id"], n["pkg"], n["user"], n["label"]))
    elif cmd.startswith("shell dumpsys device_policy"):
        out = "Current Device Policy Manager state:\n  Immutable state:\n    mHasFeature=true\n"
        for u, comp in s["owner"].items():
            out += "  Profile Owner (User %s):\n    admin=ComponentInfo{%s}\n    name=\n    package=%s\n\n" % (u, comp, comp.split("/")[0])
    elif cmd.startswith("shell pm remove-user"):
        s["users"] = [u for u in s["users"] if str(u) != args[-1]]
        out = "Success: removed user\n"
    else:
        sys.stderr.write("fake adb: unsupported command: %s\n" % cmd)
        save(s)
        sys.exit(1)
    save(s)
    sys.stdout.write(out)


if __name__ == "__main__":
    main(sys.argv[1:])
