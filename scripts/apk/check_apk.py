#!/usr/bin/env python3
"""The assertions of scripts/check-apk.sh (which installs the tools and passes the paths).

Everything is read from the APK with Android's tools (aapt2 dump, dexdump, apksigner) and
llvm-readelf, and compared with the sources, read afresh each run: the manifest(s), VetoNative's
`external fun`s, gradle/libs.versions.toml. Each check prints `ok    <what>` or
`FAIL  <what is wrong>`; the exit status is 1 if any failed, 2 on bad usage.
"""
import argparse
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

ANDROID = "{http://schemas.android.com/apk/res/android}"
COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
REQUIRED_ABIS = ("arm64-v8a", "x86_64")
SO_ALIGN = 16384
DEVICETEST_PACKAGE = "app.veto.devicetest"


class Checker:
    def __init__(self, label):
        self.label = label
        self.failures = 0
        self.passes = 0

    def ok(self, what):
        self.passes += 1
        print("ok    %s: %s" % (self.label, what))

    def fail(self, what):
        self.failures += 1
        print("FAIL  %s: %s" % (self.label, what))

    def check(self, cond, good, bad):
        (self.ok if cond else self.fail)(good if cond else bad)
        return cond


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


# ---------------------------------------------------------------- sources

def catalog_versions(text):
    """The [versions] table of a Gradle version catalog (also used by lint-gradle.py)."""
    versions, table = {}, None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            table = line.strip("[]").strip()
        elif table == "versions" and "=" in line:
            k, v = line.split("=", 1)
            versions[k.strip()] = v.strip().strip('"')
    return versions


def catalog(path):
    with open(path, encoding="utf-8") as f:
        return catalog_versions(f.read())


def full_name(name, package):
    return package + name if name.startswith(".") else name


def source_manifest(paths, package):
    """Permissions and components declared by the source manifest(s)."""
    perms, comps, app_name = set(), {}, None
    for path in paths:
        root = ET.parse(path).getroot()
        for el in root.findall("uses-permission"):
            perms.add(el.get(ANDROID + "name"))
        app = root.find("application")
        if app is None:
            continue
        if app.get(ANDROID + "name"):
            app_name = full_name(app.get(ANDROID + "name"), package)
        for tag in COMPONENT_TAGS:
            for el in app.findall(tag):
                comps[full_name(el.get(ANDROID + "name"), package)] = tag
    return perms, comps, app_name


KOTLIN_TYPES = {"String": "Ljava/lang/String;", "Long": "J", "Int": "I", "Boolean": "Z",
                "Unit": "V", "ByteArray": "[B", "Short": "S", "Byte": "B", "Double": "D",
                "Float": "F", "Char": "C"}


def external_funs(kotlin_file):
    """(class descriptor, [(name, JNI descriptor)]) of the `external fun`s of VetoNative.kt."""
    text = open(kotlin_file, encoding="utf-8").read()
    package = re.search(r"^\s*package\s+([\w.]+)", text, re.M).group(1)
    holder = re.search(r"^\s*(?:public\s+|internal\s+)?(?:object|class)\s+(\w+)", text, re.M).group(1)
    imports = dict((m.group(1).split(".")[-1], m.group(1)) for m in re.finditer(r"^\s*import\s+([\w.]+)", text, re.M))
    funs = []
    for m in re.finditer(r"external\s+fun\s+(\w+)\s*\(([^)]*)\)\s*(?::\s*([\w.?]+))?", text, re.S):
        name, params, ret = m.group(1), m.group(2), m.group(3) or "Unit"

        def desc(t):
            t = t.strip().rstrip("?")
            if t in KOTLIN_TYPES:
                return KOTLIN_TYPES[t]
            qualified = imports.get(t, t if "." in t else package + "." + t)
            return "L" + qualified.replace(".", "/") + ";"
        types = [p.split(":", 1)[1] for p in params.split(",") if ":" in p]
        funs.append((name, "(" + "".join(desc(t) for t in types) + ")" + desc(ret)))
    return "L%s/%s;" % (package.replace(".", "/"), holder), package + "." + holder, funs


def jni_symbol(java_class, method):
    mangle = lambda s: s.replace("_", "_1").replace(".", "_")
    return "Java_%s_%s" % (mangle(java_class), mangle(method))


# ---------------------------------------------------------------- the APK

def parse_xmltree(text):
    """aapt2 dump xmltree output -> nested dicts {tag, attrs, children}."""
    root = {"tag": None, "attrs": {}, "children": []}
    stack = [(-1, root)]
    for line in text.splitlines():
        m = re.match(r"^(\s*)E: (\S+)", line)
        if m:
            depth = len(m.group(1))
            node = {"tag": m.group(2), "attrs": {}, "children": []}
            while stack[-1][0] >= depth:
                stack.pop()
            stack[-1][1]["children"].append(node)
            stack.append((depth, node))
            continue
        m = re.match(r'^\s*A: (?:http://schemas.android.com/apk/res/android:)?([\w:]+)(?:\(0x[0-9a-f]+\))?=(.*)$', line)
        if m and len(stack) > 1:
            value = m.group(2)
            vm = re.match(r'^"(.*?)"(?: \(Raw: .*\))?$', value)
            if vm:
                value = vm.group(1)
            elif value.startswith("@"):
                value = value
            stack[-1][1]["attrs"][m.group(1)] = value
    return root["children"][0] if root["children"] else None


def find_all(node, tag):
    out = []
    for c in node["children"]:
        if c["tag"] == tag:
            out.append(c)
        out.extend(find_all(c, tag))
    return out


def dex_classes(dexdump_text):
    classes, methods, current = set(), {}, None
    for line in dexdump_text.splitlines():
        m = re.match(r"^\s*Class descriptor\s*:\s*'(.+)'", line)
        if m:
            current = m.group(1)
            classes.add(current)
            methods.setdefault(current, [])
            continue
        m = re.match(r"^\s*name\s*:\s*'(.+)'", line)
        if m and current:
            methods[current].append({"name": m.group(1)})
            continue
        m = re.match(r"^\s*type\s*:\s*'(.+)'", line)
        if m and current and methods[current] and "type" not in methods[current][-1]:
            methods[current][-1]["type"] = m.group(1)
            continue
        m = re.match(r"^\s*access\s*:\s*0x[0-9a-f]+ \((.*)\)", line)
        if m and current and methods[current] and "access" not in methods[current][-1]:
            methods[current][-1]["access"] = m.group(1).split()
    return classes, methods


def data_offset(apk_path, info):
    with open(apk_path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + name_len + extra_len


def cert_digests(apksigner_text):
    return re.findall(r"Signer #\d+ certificate SHA-256 digest: ([0-9a-f]+)", apksigner_text)


def check_signature(c, apk, apksigner, want_schemes=True):
    code, out = run([apksigner, "verify", "--verbose", "--print-certs", apk])
    if not c.check(code == 0 and out.startswith("Verifies"), "signature verifies",
                   "signature does not verify: %s" % out.strip().splitlines()[:3]):
        return []
    schemes = dict(re.findall(r"Verified using (v\d) scheme[^:]*: (true|false)", out))
    if want_schemes:
        # apksigner does not verify v1 when minSdk >= 24 (it reports false either way), so v1 is
        # looked for in the archive: JAR signing leaves META-INF/*.SF and a signature block.
        with zipfile.ZipFile(apk) as z:
            v1_files = [n for n in z.namelist() if re.match(r"^META-INF/[^/]+\.(SF|RSA|DSA|EC)$", n)]
        c.check(not v1_files and schemes.get("v2") == "true" and schemes.get("v3") == "true",
                "signed with v2 and v3, v1 off",
                "signature schemes: v1 %s, v2 %s, v3 %s; want v1 off, v2 and v3 on" % (
                    "on (%s)" % ", ".join(v1_files) if v1_files else "off",
                    schemes.get("v2", "unknown"), schemes.get("v3", "unknown")))
    return cert_digests(out)


def check_app(args, tools):
    kind = args.kind
    c = Checker(os.path.basename(args.apk))
    if not os.path.isfile(args.apk):
        c.fail("%s not found (run scripts/build-apk.sh)" % args.apk)
        return c
    versions = catalog(args.catalog)
    package = "app.veto"
    manifests = [args.manifest] + (args.overlay if kind == "devicetest" else [])
    perms, comps, app_name = source_manifest(manifests, package)

    # Manifest facts.
    _, badging = run([tools["aapt2"], "dump", "badging", args.apk])
    pm = re.search(r"package: name='([^']*)' versionCode='([^']*)' versionName='([^']*)'", badging)
    c.check(pm and pm.group(1) == package, "package %s" % package,
            "package is %s, want %s" % (pm.group(1) if pm else "unreadable", package))
    if pm:
        c.check((pm.group(2), pm.group(3)) == (versions.get("versionCode"), versions.get("versionName")),
                "version %s (%s) as in the catalog" % (pm.group(3), pm.group(2)),
                "versionName %s / versionCode %s, catalog says %s / %s" % (pm.group(3), pm.group(2),
                    versions.get("versionName"), versions.get("versionCode")))
    sdk = re.search(r"^sdkVersion:'(\d+)'", badging, re.M)
    target = re.search(r"^targetSdkVersion:'(\d+)'", badging, re.M)
    c.check(sdk and sdk.group(1) == versions.get("minSdk"), "minSdk %s" % versions.get("minSdk"),
            "minSdk is %s, catalog says %s" % (sdk.group(1) if sdk else "missing", versions.get("minSdk")))
    c.check(target and target.group(1) == versions.get("targetSdk"), "targetSdk %s" % versions.get("targetSdk"),
            "targetSdk is %s, catalog says %s" % (target.group(1) if target else "missing", versions.get("targetSdk")))
    apk_perms = set(re.findall(r"^uses-permission: name='([^']+)'", badging, re.M))
    c.check(apk_perms == perms, "permissions exactly %s" % ", ".join(sorted(p.split(".")[-1] for p in perms)),
            "permissions differ from the manifest: extra %s, missing %s" % (sorted(apk_perms - perms) or "none",
                                                                            sorted(perms - apk_perms) or "none"))

    _, xml = run([tools["aapt2"], "dump", "xmltree", "--file", "AndroidManifest.xml", args.apk])
    tree = parse_xmltree(xml)
    if tree is None:
        c.fail("AndroidManifest.xml unreadable: %s" % xml[:200])
        return c
    app = find_all(tree, "application")[0]
    apk_comps = {}
    for tag in COMPONENT_TAGS:
        for el in find_all(app, tag):
            apk_comps[full_name(el["attrs"].get("name", "?"), package)] = tag
    c.check(apk_comps == comps, "components as declared: %s" % ", ".join(
        "%s %s" % (t, n.rsplit(".", 1)[-1]) for n, t in sorted(comps.items())),
        "components differ from the manifest: extra %s, missing %s" % (
            sorted(set(apk_comps) - set(comps)) or "none", sorted(set(comps) - set(apk_comps)) or "none"))
    c.check(app["attrs"].get("extractNativeLibs", "").lower() in ("false", "0x0", "0"),
            "extractNativeLibs=false (libraries mapped from the APK)",
            "extractNativeLibs is %r, want false" % app["attrs"].get("extractNativeLibs"))
    admins = [r for r in find_all(app, "receiver")
              if r["attrs"].get("permission") == "android.permission.BIND_DEVICE_ADMIN"
              and any(m["attrs"].get("name") == "android.app.device_admin" for m in find_all(r, "meta-data"))
              and any(a["attrs"].get("name") == "android.app.action.DEVICE_ADMIN_ENABLED" for a in find_all(r, "action"))]
    admin_names = [full_name(r["attrs"].get("name"), package) for r in admins]
    c.check(admin_names == ["app.veto.trigger.VetoAdminReceiver"],
            "device-admin receiver app.veto.trigger.VetoAdminReceiver (BIND_DEVICE_ADMIN, device_admin meta-data, DEVICE_ADMIN_ENABLED)",
            "device-admin receivers found: %s; want exactly app.veto.trigger.VetoAdminReceiver with "
            "BIND_DEVICE_ADMIN, android.app.device_admin meta-data and DEVICE_ADMIN_ENABLED" % (admin_names or "none"))

    # Dex.
    with zipfile.ZipFile(args.apk) as z, tempfile.TemporaryDirectory() as tmp:
        infos = {i.filename: i for i in z.infolist()}
        dexes = sorted(n for n in infos if re.match(r"^classes\d*\.dex$", n))
        if not c.check(bool(dexes), "%s present" % ", ".join(dexes), "no classes.dex in the APK"):
            return c
        dump, raw_dex = "", b""
        for n in dexes:
            path = os.path.join(tmp, n)
            with open(path, "wb") as f:
                data = z.read(n)
                f.write(data)
                raw_dex += data
            _, out = run([tools["dexdump"], path])
            dump += out
        classes, methods = dex_classes(dump)
        wanted = dict(comps)
        if app_name:
            wanted[app_name] = "application"
        missing = sorted(n for n in wanted if "L%s;" % n.replace(".", "/") not in classes)
        c.check(not missing, "all %d component classes in classes.dex after R8" % len(wanted),
                "component classes missing from classes.dex after R8: %s" % ", ".join(
                    "%s (%s)" % (n, wanted[n]) for n in missing))

        holder_desc, holder_java, funs = external_funs(args.native_kotlin)
        got = {(m["name"], m.get("type")): m.get("access", []) for m in methods.get(holder_desc, [])}
        bad = [n + t for n, t in funs if "NATIVE" not in got.get((n, t), [])]
        c.check(funs and not bad, "%s keeps its %d native methods with their signatures" % (holder_java, len(funs)),
                "%s: native methods missing or changed after R8: %s" % (holder_java, ", ".join(bad) or "no external fun found"))
        exc = methods.get("Lapp/veto/core/VetoException;", [])
        c.check(any(m["name"] == "<init>" and m.get("type") == "(Ljava/lang/String;Ljava/lang/String;)V" for m in exc),
                "VetoException(String, String) constructor kept (the core throws through it)",
                "app.veto.core.VetoException(String, String) constructor missing after R8: libveto.so cannot throw")

        # The test-only path: present in the devicetest variant only.
        test_classes = sorted(k for k in classes if k.startswith("L" + DEVICETEST_PACKAGE.replace(".", "/") + "/"))
        test_comps = sorted(n for n in apk_comps if n.startswith(DEVICETEST_PACKAGE + "."))
        test_strings = raw_dex.count(DEVICETEST_PACKAGE.encode()) + raw_dex.count(DEVICETEST_PACKAGE.replace(".", "/").encode())
        if kind == "release":
            c.check(not test_classes and not test_comps and test_strings == 0,
                    "no test-only path (%s): no class, component or string" % DEVICETEST_PACKAGE,
                    "the test-only path is in a release build: classes %s, components %s, %d strings naming %s" % (
                        test_classes or "none", test_comps or "none", test_strings, DEVICETEST_PACKAGE))
        else:
            c.check(test_classes and test_comps, "test-only path present (%s)" % ", ".join(test_comps),
                    "devicetest APK lacks the test-only path: classes %s, components %s" % (test_classes, test_comps))

        # Native libraries.
        sos = sorted(n for n in infos if n.startswith("lib/") and n.endswith(".so"))
        abis = sorted({n.split("/")[1] for n in sos})
        c.check(all(a in abis for a in REQUIRED_ABIS), "native libraries for %s" % ", ".join(abis),
                "native libraries for %s, need %s" % (abis or "no ABI", ", ".join(REQUIRED_ABIS)))
        expected_syms = [jni_symbol(holder_java, n) for n, _ in funs]
        for n in sos:
            info = infos[n]
            off = data_offset(args.apk, info)
            stored = info.compress_type == zipfile.ZIP_STORED
            c.check(stored and off % SO_ALIGN == 0,
                    "%s stored uncompressed, data at %d (16 KiB aligned)" % (n, off),
                    "%s is %s, data at offset %d (%s 16 KiB aligned): it must be stored and 16 KiB aligned" % (
                        n, "stored" if stored else "compressed (method %d)" % info.compress_type, off,
                        "is" if off % SO_ALIGN == 0 else "not"))
            path = os.path.join(tmp, n.replace("/", "_"))
            with open(path, "wb") as f:
                f.write(z.read(n))
            _, syms = run([tools["llvm-readelf"], "--dyn-syms", "-W", path])
            defined = set()
            for line in syms.splitlines():
                cols = line.split()
                if len(cols) >= 8 and cols[0].endswith(":") and cols[6] != "UND":
                    defined.add(cols[7].split("@")[0])
            missing_syms = [s for s in expected_syms if s not in defined]
            c.check(not missing_syms, "%s exports the %d JNI functions" % (n, len(expected_syms)),
                    "%s does not export %s" % (n, ", ".join(missing_syms)))
        code, out = run([tools["zipalign"], "-c", "-p", "4", args.apk])
        c.check(code == 0, "zipalign -c -p 4: stored entries 4-byte aligned, libraries page aligned",
                "zipalign -c -p 4 fails: %s" % " ".join(l for l in out.splitlines() if "BAD" in l)[:300])
        arsc = infos.get("resources.arsc")
        c.check(arsc is not None and arsc.compress_type == zipfile.ZIP_STORED,
                "resources.arsc stored uncompressed (targetSdk 30+ requires it)",
                "resources.arsc is %s: targetSdk 30+ refuses to install it" % ("missing" if arsc is None else "compressed"))

    check_signature(c, args.apk, tools["apksigner"])
    size = os.path.getsize(args.apk)
    c.check(size <= args.budget, "size %d bytes (%.2f MiB), budget %d (%.2f MiB)" % (size, size / 1048576, args.budget, args.budget / 1048576),
            "size %d bytes (%.2f MiB) is over the budget of %d bytes (%.2f MiB)" % (size, size / 1048576, args.budget, args.budget / 1048576))
    return c


def keystore_digest(store, alias):
    code, out = run(["keytool", "-exportcert", "-rfc", "-keystore", store, "-storepass", "veto-throwaway", "-alias", alias])
    if code != 0:
        return None
    import base64
    b64 = "".join(l for l in out.splitlines() if l and not l.startswith("-----"))
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()


def check_targets(args, tools):
    c = Checker("targets")
    tsv = os.path.join(args.targets, "targets.tsv")
    if not os.path.isfile(tsv):
        c.fail("%s not found (run scripts/build-apk.sh or scripts/apk/build-targets.sh)" % tsv)
        return c
    rows = [l.rstrip("\n").split("\t") for l in open(tsv) if l.strip() and not l.startswith("#")]
    digests = {}
    for file, pkg, label, key, role in rows:
        apk = os.path.join(args.targets, file)
        if not c.check(os.path.isfile(apk), "%s present" % file, "%s missing (%s)" % (file, pkg)):
            continue
        _, badging = run([tools["aapt2"], "dump", "badging", apk])
        m = re.search(r"package: name='([^']*)'", badging)
        c.check(m and m.group(1) == pkg, "%s is %s" % (file, pkg), "%s has package %s, want %s" % (file, m.group(1) if m else "?", pkg))
        with zipfile.ZipFile(apk) as z:
            dex = [n for n in z.namelist() if n.endswith(".dex") or n.startswith("lib/")]
        _, xml = run([tools["aapt2"], "dump", "xmltree", "--file", "AndroidManifest.xml", apk])
        tree = parse_xmltree(xml)
        has_code = find_all(tree, "application")[0]["attrs"].get("hasCode", "") if tree else "?"
        c.check(not dex and has_code.lower() in ("false", "0x0", "0"), "%s has no code" % file,
                "%s carries code (%s) or hasCode is %r: test targets must be code-free" % (file, dex or "no dex", has_code))
        sub = Checker("targets/" + file)
        d = check_signature(sub, apk, tools["apksigner"])
        c.failures += sub.failures
        c.passes += sub.passes
        digests[file] = (key, d[0] if d else None)
        keystore = os.path.join(args.keys, key + ".p12") if args.keys else None
        if keystore and os.path.isfile(keystore) and d:
            want = keystore_digest(keystore, key)
            c.check(d[0] == want, "%s signed by the %s key" % (file, key),
                    "%s signed by %s, the %s key is %s" % (file, d[0], key, want))
    publisher = {f: dg for f, (k, dg) in digests.items() if k == "test-publisher"}
    others = {f: dg for f, (k, dg) in digests.items() if k != "test-publisher"}
    c.check(len(publisher) == 1 and not set(publisher.values()) & set(others.values()),
            "the test-publisher key signs only %s" % ", ".join(publisher),
            "the test-publisher key must sign exactly one target (the renamed clone) and nothing else: %s" % publisher)
    if args.app_digest:
        c.check(args.app_digest not in digests.values() if digests else True,
                "no target shares Veto's signing key", "a target is signed with Veto's own key")
    return c


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--apk")
    p.add_argument("--kind", choices=("release", "devicetest"), default="release")
    p.add_argument("--manifest", required=True)
    p.add_argument("--overlay", action="append", default=[])
    p.add_argument("--native-kotlin", required=True)
    p.add_argument("--catalog", required=True)
    p.add_argument("--budget", type=int, required=True)
    p.add_argument("--targets")
    p.add_argument("--keys")
    p.add_argument("--app-digest")
    p.add_argument("--tool", action="append", default=[], help="NAME=PATH")
    args = p.parse_args()
    tools = {"aapt2": "aapt2", "dexdump": "dexdump", "apksigner": "apksigner", "zipalign": "zipalign",
             "llvm-readelf": "llvm-readelf"}
    for t in args.tool:
        k, _, v = t.partition("=")
        tools[k] = v
    checkers = []
    if args.apk:
        checkers.append(check_app(args, tools))
    if args.targets:
        checkers.append(check_targets(args, tools))
    failures = sum(c.failures for c in checkers)
    passes = sum(c.passes for c in checkers)
    print("check-apk: %d passed, %d failed" % (passes, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
