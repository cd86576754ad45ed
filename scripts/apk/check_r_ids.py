#!/usr/bin/env python3
"""Checks that the resource IDs compiled into the shell's classes are the APK's.

android/pom.xml generates app.veto.R with its own aapt2 link, and kotlinc/javac inline R's
`static final int` IDs into the classes scripts/build-apk.sh packages; build-apk.sh links the
resources again for the APK. If the two links ever numbered a resource differently, the app
would show the wrong string or crash, and nothing else would notice. So: every field of every
app.veto.R$<type> class must have the ID `aapt2 dump resources` shows for <type>/<name>.

Usage: check_r_ids.py CLASSES_DIR LINKED_APK      (no R class: nothing to check, exit 0)
       check_r_ids.py --self-test
"""
import glob
import os
import re
import subprocess
import sys


def r_fields(javap_text):
    """javap -constants output -> {(type, name): id}."""
    out, rtype = {}, None
    for line in javap_text.splitlines():
        m = re.match(r"^public final class app\.veto\.R\$(\w+)", line)
        if m:
            rtype = m.group(1)
            continue
        m = re.match(r"^\s*public static final int (\w+) = (-?\d+);", line)
        if m and rtype:
            out[(rtype, m.group(1))] = int(m.group(2)) & 0xFFFFFFFF
    return out


def apk_ids(dump_text):
    """aapt2 dump resources output -> {(type, name): id}."""
    out = {}
    for line in dump_text.splitlines():
        m = re.match(r"^\s*resource 0x([0-9a-f]{8}) (\w+)/(\S+)", line)
        if m:
            out[(m.group(2), m.group(3).replace(".", "_"))] = int(m.group(1), 16)
    return out


def compare(fields, ids):
    problems = []
    for (rtype, name), value in sorted(fields.items()):
        got = ids.get((rtype, name))
        if got is None:
            problems.append("R.%s.%s = 0x%08x is not in the APK's resources" % (rtype, name, value))
        elif got != value:
            problems.append("R.%s.%s = 0x%08x in the classes, 0x%08x in the APK" % (rtype, name, value, got))
    return problems


def self_test():
    javap = ("Compiled from \"R.java\"\npublic final class app.veto.R$string {\n"
             "  public static final int app_name = 2131099648;\n  public static final int notice_title = 2131099649;\n}\n")
    dump = ("Package name=app.veto id=7f\n  type string id=06 entryCount=2\n"
            "    resource 0x7f060000 string/app_name\n    resource 0x7f060001 string/notice_title\n")
    assert compare(r_fields(javap), apk_ids(dump)) == [], "matching IDs reported as different"
    shifted = dump.replace("0x7f060001 string/notice_title", "0x7f060002 string/notice_title")
    assert compare(r_fields(javap), apk_ids(shifted)) == [
        "R.string.notice_title = 0x7f060001 in the classes, 0x7f060002 in the APK"], "a shifted ID not reported"
    assert compare(r_fields(javap), apk_ids(dump.replace("string/app_name", "string/other"))) == [
        "R.string.app_name = 0x7f060000 is not in the APK's resources"], "a missing resource not reported"
    print("check_r_ids.py self-test: ok")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return
    classes, apk = argv[1], argv[2]
    r_classes = sorted(glob.glob(os.path.join(classes, "app", "veto", "R$*.class")))
    if not r_classes:
        print("   no app.veto.R in %s: no resource IDs inlined in the classes" % classes)
        return
    names = ["app.veto." + os.path.basename(c)[:-len(".class")] for c in r_classes]
    javap = subprocess.run(["javap", "-constants", "-cp", classes] + names, stdout=subprocess.PIPE, text=True).stdout
    dump = subprocess.run(["aapt2", "dump", "resources", apk], stdout=subprocess.PIPE, text=True).stdout
    problems = compare(r_fields(javap), apk_ids(dump))
    if problems:
        sys.exit("check_r_ids.py: the resource IDs android/pom.xml compiled into the classes differ from "
                 "the APK's link (%s):\n  %s" % (apk, "\n  ".join(problems)))
    print("   R IDs in the classes match the APK's resources (%d fields)" % len(r_fields(javap)))


if __name__ == "__main__":
    main(sys.argv)
