#!/usr/bin/env python3
"""Reads what scripts/device-acceptance.sh gets back from adb: `pm create-user`, `dpm
set-profile-owner`, `am broadcast`, `dumpsys package <pkg>`, `dumpsys notification --noredact`
and `dumpsys device_policy`, plus `apksigner verify --print-certs` and `aapt2 dump badging` on
the host. Every function is tested against recorded outputs in tests/fixtures/device/
(scripts/apk/test_device_parse.py). Tolerant of what differs between Android 11 and 15 (extra
fields, the suspending package printed as a name or as a UserPackage), strict about what it
reports: a field it cannot find is None, never a guess.

Command line (used by device-acceptance.sh; prints one value or one JSON object):
  device_parse.py created-user FILE
  device_parse.py owner-set FILE
  device_parse.py profile-owner FILE USER
  device_parse.py package-state FILE PACKAGE USER   (prints: present installed hidden suspended suspenders)
  device_parse.py notifications FILE PACKAGE USER
  device_parse.py broadcast FILE
  device_parse.py install FILE
  device_parse.py cert-digest FILE
  device_parse.py launchable-activity FILE
"""
import json
import re
import sys


def created_user(text):
    """`pm create-user` -> the new user id, or None ("Success: created user id 10")."""
    m = re.search(r"^Success: created user id (\d+)\s*$", text, re.M)
    return int(m.group(1)) if m else None


def owner_set(text):
    """`dpm set-profile-owner` -> True on "Success: Active admin and profile owner set to ..."."""
    return re.search(r"^Success: Active admin and profile owner set to ", text, re.M) is not None


def profile_owner(text, user):
    """`dumpsys device_policy` -> the profile owner component of `user` ("pkg/cls"), or None."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\s*Profile Owner \(User %d\):\s*$" % user, line):
            for follow in lines[i + 1:i + 8]:
                m = re.match(r"^\s*admin=ComponentInfo\{([^}/]+)/([^}]+)\}", follow)
                if m:
                    pkg, cls = m.group(1), m.group(2)
                    return "%s/%s" % (pkg, pkg + cls if cls.startswith(".") else cls)
            return None
    return None


def package_state(text, package, user):
    """`dumpsys package <pkg>` -> the state of `package` for `user`:
    {"present": bool, "installed", "hidden", "suspended": bool or None, "suspenders": [pkg, ...]}.
    present is False when the package is not listed at all (never installed on the device)."""
    state = {"present": False, "installed": None, "hidden": None, "suspended": None, "suspenders": []}
    lines = text.splitlines()
    start = None
    for i, line in enumerate(lines):
        if re.match(r"^\s*Package \[%s\] \(" % re.escape(package), line):
            start = i
            break
    if start is None:
        return state
    state["present"] = True
    indent = len(lines[start]) - len(lines[start].lstrip())
    in_user = False
    user_indent = None
    for line in lines[start + 1:]:
        stripped = line.strip()
        this_indent = len(line) - len(line.lstrip())
        if stripped and this_indent <= indent:
            break  # the next package, or the next section
        m = re.match(r"^User (\d+): (.*)$", stripped)
        if m:
            in_user = int(m.group(1)) == user
            user_indent = this_indent
            if in_user:
                fields = dict(re.findall(r"(\w+)=(\S+)", m.group(2)))
                for key in ("installed", "hidden", "suspended"):
                    if key in fields:
                        state[key] = fields[key] == "true"
            continue
        if in_user and stripped and user_indent is not None and this_indent <= user_indent:
            in_user = False
        if in_user:
            m = re.match(r"^suspendingPackage=(\S+)", stripped)
            if m:
                who = m.group(1)
                # Android 15 keys suspensions by UserPackage, printed as UserPackage[10]android
                # (or with packageName=); older releases print the package name alone.
                named = re.search(r"packageName=([\w.]+)", stripped)
                bracketed = re.match(r"^UserPackage\[-?\d+\]([\w.]+)$", who)
                if named:
                    who = named.group(1)
                elif bracketed:
                    who = bracketed.group(1)
                state["suspenders"].append(who.rstrip(","))
    return state


def notifications(text, package, user):
    """`dumpsys notification --noredact` -> the notifications `package` posted for `user`:
    [{"id": int, "tag": str or None, "channel": str or None, "title": str or None, "text": str or None}]."""
    found = []
    current = None
    for line in text.splitlines():
        m = re.match(r"^\s*NotificationRecord\(0x[0-9a-f]+: pkg=(\S+) user=UserHandle\{(-?\d+)\} id=(-?\d+) tag=(\S+)", line)
        if m:
            current = None
            if m.group(1) == package and int(m.group(2)) == user:
                ch = re.search(r"Notification\(channel=(\S+)", line)
                current = {"id": int(m.group(3)), "tag": None if m.group(4) == "null" else m.group(4),
                           "channel": ch.group(1) if ch else None, "title": None, "text": None}
                found.append(current)
            continue
        if current is not None:
            m = re.match(r"^\s*android\.(title|text)=\w+ \((.*)\)\s*$", line)
            if m and current[m.group(1)] is None:
                current[m.group(1)] = m.group(2)
    return found


def broadcast(text):
    """`am broadcast` -> (result code, data) from "Broadcast completed: result=1, data="..."", or None."""
    m = re.search(r'^Broadcast completed: result=(-?\d+)(?:, data="(.*)")?', text, re.M)
    return (int(m.group(1)), m.group(2)) if m else None


def install(text):
    """`pm install` / `adb install` -> (True, "") on Success, else (False, the failure reason)."""
    if re.search(r"^Success\s*$", text, re.M):
        return True, ""
    m = re.search(r"Failure \[([^\]]+)\]", text)
    return False, m.group(1) if m else text.strip()[-200:]


def cert_digest(text):
    """`apksigner verify --print-certs` -> the first signer's certificate SHA-256 (hex, lower case)."""
    m = re.search(r"Signer #1 certificate SHA-256 digest: ([0-9a-f]{64})", text)
    return m.group(1) if m else None


def launchable_activity(text):
    """`aapt2 dump badging` -> the launcher activity's class name, or None (no launcher icon)."""
    m = re.search(r"^launchable-activity: name='([^']+)'", text, re.M)
    return m.group(1) if m else None


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, path = argv[1], argv[2]
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    rest = argv[3:]
    if cmd == "created-user":
        out = created_user(text)
    elif cmd == "owner-set":
        out = owner_set(text)
    elif cmd == "profile-owner":
        out = profile_owner(text, int(rest[0]))
    elif cmd == "package-state":
        # One shell-friendly line: present installed hidden suspended suspenders
        # (true/false/unknown; suspenders comma-separated, "-" for none).
        st = package_state(text, rest[0], int(rest[1]))
        word = lambda v: "unknown" if v is None else str(v).lower()
        print(" ".join(word(st[k]) for k in ("present", "installed", "hidden", "suspended")) + " " +
              (",".join(st["suspenders"]) or "-"))
        return
    elif cmd == "notifications":
        out = notifications(text, rest[0], int(rest[1]))
    elif cmd == "broadcast":
        out = broadcast(text)
    elif cmd == "install":
        out = install(text)
    elif cmd == "cert-digest":
        out = cert_digest(text)
    elif cmd == "launchable-activity":
        out = launchable_activity(text)
    else:
        sys.exit("device_parse.py: unknown command %s" % cmd)
    if out is None or out is False:
        sys.exit(1)  # nothing found: no output, exit status 1
    print(out if isinstance(out, (str, int)) and not isinstance(out, bool) else json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
