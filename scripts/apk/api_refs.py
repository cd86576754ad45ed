#!/usr/bin/env python3
"""Framework references of the shell's R8 output, for scripts/apk/check-api.sh (issue 9, item 8).

android-all (what the shell compiles against here) contains @hide APIs the SDK's android.jar
does not, so code can compile here and fail in the Gradle build, or worse, call a hidden API
on a phone. There is no public android.jar on Maven Central or in Debian, so this checks the
dex instead:
  * no reference into com.android.internal (never public);
  * no referenced member that android-all marks @UnsupportedAppUsage (hidden, greylisted);
  * every android.* member referenced is in scripts/apk/framework-api.txt, the list of
    framework members the shell uses, each checked against the public reference
    (developer.android.com) when it was added. A new one fails until someone checks it and
    adds it (--update rewrites the list; review the diff).

Usage: api_refs.py --dexdump-output FILE --framework-jar JAR --list FILE [--update]
"""
import argparse
import re
import subprocess
import sys

REF = re.compile(r"(L(?:android|com/android|dalvik)/[\w/$]+;)\.([\w<>$]+):(\(?[^\s]*)")


def references(dexdump_text):
    refs = set()
    for line in dexdump_text.splitlines():
        if "invoke-" in line or "get" in line or "put" in line:
            for m in REF.finditer(line):
                refs.add("%s.%s:%s" % m.groups())
    return refs


def unsupported_app_usage(jar, refs):
    """The subset of refs whose member android-all annotates @UnsupportedAppUsage."""
    classes = sorted({r.split(";.")[0][1:].replace("/", ".") for r in refs})
    if not classes:
        return set()
    out = subprocess.run(["javap", "-v", "-p", "-cp", jar] + classes, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    flagged, cls, member = set(), None, None
    for line in out.splitlines():
        m = re.match(r"^Classfile jar:.*!/(.+)\.class$", line)
        if m:
            cls, member = "L%s;" % m.group(1), None
            continue
        m = re.match(r"^  \S.*?(\w+|<init>|<clinit>)\((.*)$|^  \S.* (\w+);$", line)
        if m and not line.strip().startswith(("descriptor", "flags", "Code", "Runtime")):
            member = {"name": (m.group(1) or m.group(3)), "desc": None}
            continue
        m = re.match(r"^    descriptor: (\S+)$", line)
        if m and member is not None and member["desc"] is None:
            member["desc"] = m.group(1)
            continue
        if "UnsupportedAppUsage" in line and cls and member and member.get("desc"):
            name = member["name"]
            if name == cls[1:-1].split("/")[-1].split("$")[-1]:
                name = "<init>"
            flagged.add("%s.%s:%s" % (cls, name, member["desc"]))
    return flagged & refs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dexdump-output", required=True)
    p.add_argument("--framework-jar", required=True)
    p.add_argument("--list", required=True)
    p.add_argument("--update", action="store_true")
    a = p.parse_args()
    refs = references(open(a.dexdump_output, encoding="utf-8").read())
    failures = 0
    internal = sorted(r for r in refs if r.startswith("Lcom/android/internal/"))
    if internal:
        failures += 1
        print("FAIL  references into com.android.internal (never public API): %s" % ", ".join(internal))
    else:
        print("ok    no reference into com.android.internal")
    hidden = sorted(unsupported_app_usage(a.framework_jar, refs))
    if hidden:
        failures += 1
        print("FAIL  hidden framework members (@UnsupportedAppUsage in android-all): %s" % ", ".join(hidden))
    else:
        print("ok    no referenced member is marked @UnsupportedAppUsage")
    framework = sorted(r for r in refs if r.startswith("Landroid/"))
    header = []
    known = set()
    with open(a.list, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                header.append(line)
            else:
                known.add(line.strip())
    if a.update:
        with open(a.list, "w", encoding="utf-8") as f:
            f.writelines(header)
            f.writelines(r + "\n" for r in framework)
        print("updated %s: %d references (review the diff against developer.android.com)" % (a.list, len(framework)))
        return
    new = [r for r in framework if r not in known]
    if new:
        failures += 1
        print("FAIL  framework members used but not in %s (check each is public API on developer.android.com, "
              "then run scripts/apk/check-api.sh --update and review the diff):\n        %s" % (a.list, "\n        ".join(new)))
    else:
        print("ok    all %d framework members used are in the reviewed list" % len(framework))
    gone = sorted(known - set(framework))
    if gone:
        print("note  no longer used (--update drops them): %s" % ", ".join(gone))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
