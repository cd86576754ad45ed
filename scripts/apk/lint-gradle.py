#!/usr/bin/env python3
"""Lints Veto's Gradle build for the traps a review of it found (issue 9, items 1-7). Gradle and
the Android SDK cannot run on CI, so these files are only ever read; this keeps them from
sliding back. Each check prints `ok    <what>` or `FAIL  <file>: <what is wrong>`; exit 1 if any
failed. The versions table of docs/admin.md is checked against the catalog here too.

Usage: lint-gradle.py [--root DIR]
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_apk import catalog_versions  # noqa: E402  (one reader of the catalog)

# Kotlin Gradle plugin -> the AGP and Gradle versions Kotlin's docs list as fully supported
# ("Kotlin Gradle plugin compatibility"). A Kotlin version not listed fails: add its row.
KGP_SUPPORT = [
    # (kotlin versions, AGP min, AGP max, Gradle min, Gradle max)
    (("2.1.20", "2.1.21"), "7.3.1", "8.7.2", "7.6.3", "8.12.1"),
    (("2.2.20", "2.2.21"), "7.3.1", "8.11.1", "7.6.3", "8.14"),
]
# AGP major.minor -> the oldest Gradle it runs on (Android Gradle plugin release notes).
AGP_MIN_GRADLE = {"8.6": "8.7", "8.7": "8.9", "8.8": "8.10.2", "8.9": "8.11.1", "8.10": "8.11.1", "8.11": "8.13"}


def v(s):
    return tuple(int(x) for x in re.findall(r"\d+", s))


class Lint:
    def __init__(self, root):
        self.root = root
        self.failures = 0

    def read(self, rel):
        path = os.path.join(self.root, rel)
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as f:
            return f.read()

    def check(self, cond, good, where, bad):
        if cond:
            print("ok    %s" % good)
        else:
            self.failures += 1
            print("FAIL  %s: %s" % (where, bad))
        return cond


def strip_comments(kts):
    # `//` starts a comment only at a line start or after a space (not inside "https://").
    return re.sub(r"(^|\s)//[^\n]*", r"\1", re.sub(r"/\*.*?\*/", "", kts, flags=re.S), flags=re.M)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    root = os.path.abspath(p.parse_args().root)
    L = Lint(root)
    missing = [f for f in ("gradle/libs.versions.toml", "settings.gradle.kts", "android/build.gradle.kts",
                           "gradle/wrapper/gradle-wrapper.properties") if L.read(f) is None]
    if missing:
        print("FAIL  %s: not found" % ", ".join(missing))
        sys.exit(1)
    cat = catalog_versions(L.read("gradle/libs.versions.toml"))
    build = L.read("android/build.gradle.kts")
    code = strip_comments(build)
    settings = strip_comments(L.read("settings.gradle.kts"))
    wrapper = L.read("gradle/wrapper/gradle-wrapper.properties")

    # 1. gradle.properties
    props = L.read("gradle.properties")
    props_map = {}
    for line in (props or "").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, val = line.split("=", 1)
            props_map[k.strip()] = val.strip()
    L.check(props_map.get("android.useAndroidX") == "true", "gradle.properties: android.useAndroidX=true",
            "gradle.properties", "android.useAndroidX must be true (AGP < 9 defaults to false and then "
            "rejects the AndroidX dependency enterprise-feedback)" if props is not None else "missing: it must set android.useAndroidX=true and a daemon heap for R8")
    xmx = re.search(r"-Xmx(\d+)([gGmM])", props_map.get("org.gradle.jvmargs", ""))
    heap_mib = (int(xmx.group(1)) * (1024 if xmx.group(2) in "gG" else 1)) if xmx else 0
    L.check(heap_mib >= 2048, "gradle.properties: daemon heap %d MiB (R8 needs at least 2 GiB)" % heap_mib,
            "gradle.properties", "org.gradle.jvmargs needs -Xmx of at least 2g for R8, found %r" % props_map.get("org.gradle.jvmargs"))

    # 2. Kotlin / AGP / Gradle / R8 pairing
    kotlin, agp, r8 = cat.get("kotlin", "?"), cat.get("agp", "?"), cat.get("r8", "?")
    gradle = (re.search(r"gradle-([\d.]+)-bin\.zip", wrapper) or re.search(r"()", "")).group(1) or "?"
    row = next((r for r in KGP_SUPPORT if kotlin in r[0]), None)
    if L.check(row is not None, "Kotlin %s is in the support table" % kotlin, "gradle/libs.versions.toml",
               "kotlin %s is not in lint-gradle.py's KGP_SUPPORT table: add its row from Kotlin's compatibility docs" % kotlin):
        _, agp_min, agp_max, g_min, g_max = row
        L.check(v(agp_min) <= v(agp) <= v(agp_max), "AGP %s is fully supported by Kotlin %s (%s-%s)" % (agp, kotlin, agp_min, agp_max),
                "gradle/libs.versions.toml", "agp %s is outside what Kotlin %s supports (%s-%s): move Kotlin or AGP" % (agp, kotlin, agp_min, agp_max))
        L.check(v(g_min) <= v(gradle) <= v(g_max), "Gradle %s is supported by Kotlin %s (%s-%s)" % (gradle, kotlin, g_min, g_max),
                "gradle/wrapper/gradle-wrapper.properties", "Gradle %s is outside what Kotlin %s supports (%s-%s)" % (gradle, kotlin, g_min, g_max))
    agp_mm = ".".join(agp.split(".")[:2])
    need = AGP_MIN_GRADLE.get(agp_mm)
    L.check(need is not None and v(gradle) >= v(need), "Gradle %s satisfies AGP %s (needs %s)" % (gradle, agp, need),
            "gradle/wrapper/gradle-wrapper.properties", "AGP %s needs Gradle %s or newer, the wrapper has %s" % (agp, need or "? (add AGP %s to AGP_MIN_GRADLE)" % agp_mm, gradle))
    L.check(r8.split(".")[:2] == agp.split(".")[:2], "R8 %s is the release line AGP %s bundles" % (r8, agp),
            "gradle/libs.versions.toml", "r8 %s is not AGP %s's release line (%s.x): the CI APK would shrink with another R8" % (r8, agp, agp_mm))

    # 3. cargo-ndk arguments
    L.check("--config" not in code and "rustflags" not in code.lower() and "max-page-size" not in code,
            "build.gradle.kts passes no --config/rustflags to cargo (cargo-ndk 4 and NDK r28 align to 16 KiB)",
            "android/build.gradle.kts", "passes --config / rustflags / max-page-size to cargo: quoting breaks on Windows and RUSTFLAGS overrides it; cargo-ndk 4 and NDK r28 already align to 16 KiB")

    # 4. finding cargo
    L.check(not re.search(r'commandLine\(\s*"cargo"', code) and 'gradleProperty("veto.cargo")' in code
            and 'environmentVariable("CARGO")' in code and ".cargo" in code and "cargo.exe" in code,
            "cargo comes from -Pveto.cargo, CARGO, or ~/.cargo/bin/cargo[.exe] (not only PATH)",
            "android/build.gradle.kts", "cargo must be found without PATH: Gradle property veto.cargo, then CARGO, then ~/.cargo/bin/cargo[.exe]")

    # 5. supply chain
    m = re.search(r"exclusiveContent\s*\{(.*?)filter\s*\{([^}]*)\}", settings, re.S)
    L.check(bool(m) and "rustls-platform-verifier" in m.group(1) and 'includeModule("org.rustls", "rustls-platform-verifier")' in m.group(2),
            "settings.gradle.kts: org.rustls:rustls-platform-verifier comes only from its own repository (exclusiveContent)",
            "settings.gradle.kts", "the rustls verifier repository must be exclusiveContent for includeModule(\"org.rustls\", \"rustls-platform-verifier\")")
    L.check(not re.search(r"content\s*\{\s*includeGroup\(\"org\.rustls\"\)", settings),
            "settings.gradle.kts: no plain content filter for org.rustls (google()/mavenCentral() would still be asked first)",
            "settings.gradle.kts", "a content { includeGroup(\"org.rustls\") } filter does not stop other repositories serving org.rustls: use exclusiveContent")
    L.check(re.search(r"^distributionSha256Sum=[0-9a-f]{64}$", wrapper, re.M) is not None,
            "gradle-wrapper.properties pins distributionSha256Sum",
            "gradle/wrapper/gradle-wrapper.properties", "no distributionSha256Sum: the downloaded Gradle is not checked")
    meta = L.read("gradle/verification-metadata.xml")
    if meta is None:
        # Not a failure: it can only be written by Gradle with access to Google's Maven
        # (docs/admin.md, "Dependency verification"); this machine has neither.
        print("todo  gradle/verification-metadata.xml: not yet written (needs Gradle and Google's Maven; docs/admin.md)")
    else:
        L.check("<verify-metadata>true</verify-metadata>" in meta and 'group="org.rustls"' in meta and "<sha256" in meta,
                "gradle/verification-metadata.xml verifies metadata and pins org.rustls by SHA-256",
                "gradle/verification-metadata.xml", "must have <verify-metadata>true</verify-metadata> and a sha256 for the org.rustls component")

    # 6. wrapper bootstrap
    tracked = subprocess.run(["git", "-C", root, "ls-files", "gradlew", "gradlew.bat", "gradle/wrapper/gradle-wrapper.jar"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.split()
    L.check(not tracked, "the wrapper's binary files are not committed", "gradle/wrapper", "committed: %s (the wrapper jar is fetched by scripts/gradle-wrapper.sh)" % tracked)
    boot = L.read("scripts/gradle-wrapper.sh") or ""
    L.check("distributionSha256Sum" in boot and "--gradle-distribution-sha256-sum" in boot and "wrapper_jar_sha256" in boot,
            "scripts/gradle-wrapper.sh bootstraps the wrapper from the pinned, checked distribution",
            "scripts/gradle-wrapper.sh", "missing, or it does not check the distribution and the wrapper jar")

    # 7. the cargo task
    L.check("doFirst" not in code and "doLast" not in code, "no doFirst/doLast actions (they capture the script for the configuration cache)",
            "android/build.gradle.kts", "a doFirst/doLast action: it captures the task and script state (configuration cache); use a task class")
    L.check("onVariants" in code and "addGeneratedSourceDirectory" in code and "variant.buildType" in code
            and "jniLibs.srcDir" not in code,
            "one cargo-ndk task per variant, wired as that variant's generated jniLibs (debug builds get the dev profile)",
            "android/build.gradle.kts", "libveto.so must be built per variant (debug: dev profile, release: --release) and added with addGeneratedSourceDirectory, not one jniLibs.srcDir for all")
    L.check(re.search(r"\.delete\s*\{\s*delete\(out\)", code) is not None,
            "the cargo-ndk output folder is emptied first (no stale ABI folders packaged)",
            "android/build.gradle.kts", "the task must empty its output folder before cargo-ndk writes to it: stale ABI folders get packaged")
    L.check("libs.versions.versionCode" in code and "libs.versions.versionName" in code,
            "versionCode and versionName come from the catalog",
            "android/build.gradle.kts", "versionCode/versionName must be read from gradle/libs.versions.toml")
    L.check("devicetest" not in code.lower(), "the Gradle build has no devicetest source set (test-only path stays out of releases)",
            "android/build.gradle.kts", "src/devicetest must never be part of the Gradle build")

    # The CI APK's tools (scripts/apk/tools.pom.xml) use the framework jar android/pom.xml compiles against.
    tools = L.read("scripts/apk/tools.pom.xml") or ""
    pom = L.read("android/pom.xml") or ""
    pom_all = re.search(r"<android\.all\.version>([^<]+)</android\.all\.version>", pom)
    tools_all = re.search(r"<artifactId>android-all</artifactId>\s*<version>([^<]+)</version>", tools)
    if tools and pom:
        L.check(pom_all and tools_all and pom_all.group(1) == tools_all.group(1),
                "scripts/apk/tools.pom.xml uses android/pom.xml's framework jar (android-all %s)" % (pom_all.group(1) if pom_all else "?"),
                "scripts/apk/tools.pom.xml", "android-all %s, but android/pom.xml compiles against %s" % (
                    tools_all.group(1) if tools_all else "?", pom_all.group(1) if pom_all else "?"))

    # docs/admin.md: the versions table and the APK file names.
    admin = L.read("docs/admin.md") or ""
    rows = {}
    for line in admin.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and line.startswith("|"):
            rows[cells[0]] = cells[1]
    expected = {
        "Android SDK": "platform %s" % cat.get("compileSdk"),
        "Android NDK": cat.get("ndk"),
        "Gradle": gradle,
        "cargo-ndk": cat.get("cargoNdk"),
        "Android Gradle plugin": agp,
        "Kotlin": kotlin,
    }
    for what, want in expected.items():
        got = rows.get(what)
        L.check(got is not None and got.startswith(want or "?"), "docs/admin.md: %s %s as in the catalog" % (what, want),
                "docs/admin.md", "the versions table says %s is %r, the build uses %s" % (what, got, want))
    project = re.search(r'include\(":(\w+)"\)', settings)
    name = project.group(1) if project else "?"
    L.check(("%s-release-unsigned.apk" % name) in admin and ("%s-release.apk" % name) in admin
            and not re.search(r"app-release(-unsigned)?\.apk", admin),
            "docs/admin.md names the APKs AGP writes (%s-release.apk, %s-release-unsigned.apk)" % (name, name),
            "docs/admin.md", "must name %s-release.apk (signed) and %s-release-unsigned.apk (no keystore), the files AGP writes for project :%s" % (name, name, name))

    print("lint-gradle: %s" % ("%d failed" % L.failures if L.failures else "clean"))
    sys.exit(1 if L.failures else 0)


if __name__ == "__main__":
    main()
