#!/usr/bin/env python3
"""Writes the manifest the CI APK is linked with: android/src/main/AndroidManifest.xml plus what
the Android Gradle plugin adds when it merges (package, versionCode/versionName, <uses-sdk>,
extractNativeLibs="false" so libveto.so is loaded straight from the APK), and, for the device-test
variant, the <application> children and permissions of overlay manifests (src/devicetest).

Usage: manifest.py --main FILE [--overlay FILE]... --package P --version-code N
                   --version-name S --min-sdk N --target-sdk N --out FILE
"""
import argparse
import sys
import xml.etree.ElementTree as ET

ANDROID = "http://schemas.android.com/apk/res/android"
ET.register_namespace("android", ANDROID)
ET.register_namespace("tools", "http://schemas.android.com/tools")


def a(name):
    return "{%s}%s" % (ANDROID, name)


def load(path):
    try:
        return ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        sys.exit("manifest.py: cannot read %s: %s" % (path, e))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--main", required=True)
    p.add_argument("--overlay", action="append", default=[])
    for opt in ("package", "version-code", "version-name", "min-sdk", "target-sdk", "out"):
        p.add_argument("--" + opt, required=True)
    args = p.parse_args()

    root = load(args.main)
    if root.tag != "manifest":
        sys.exit("manifest.py: %s: the root element is <%s>, not <manifest>" % (args.main, root.tag))
    app = root.find("application")
    if app is None:
        sys.exit("manifest.py: %s has no <application>" % args.main)
    if root.get("package") not in (None, args.package):
        sys.exit("manifest.py: %s declares package %s, the build uses %s" % (args.main, root.get("package"), args.package))
    root.set("package", args.package)
    root.set(a("versionCode"), args.version_code)
    root.set(a("versionName"), args.version_name)
    if root.find("uses-sdk") is not None:
        sys.exit("manifest.py: %s has a <uses-sdk>; the SDK levels come from gradle/libs.versions.toml" % args.main)
    sdk = ET.Element("uses-sdk", {a("minSdkVersion"): args.min_sdk, a("targetSdkVersion"): args.target_sdk})
    root.insert(0, sdk)
    # AGP sets this for minSdk >= 23 (useLegacyPackaging = false): libraries stay in the APK,
    # stored and page-aligned, and are mapped from there.
    app.set(a("extractNativeLibs"), "false")

    for path in args.overlay:
        extra = load(path)
        for child in list(extra):
            if child.tag == "application":
                for component in list(child):
                    app.append(component)
            else:
                idx = list(root).index(app)
                root.insert(idx, child)

    ET.ElementTree(root).write(args.out, encoding="utf-8", xml_declaration=True)


if __name__ == "__main__":
    main()
