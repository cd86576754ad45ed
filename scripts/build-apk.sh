#!/usr/bin/env bash
# Builds Veto's CI APKs with Android's own tools, without Gradle or the Android SDK, from the
# same sources and versions as the Gradle build (docs/admin.md, "The CI APK"):
#
#   target/apk/veto-<version>-ci.apk             what a release build holds (src/main only)
#   target/apk/veto-<version>-ci-devicetest.apk  the same plus src/devicetest (the test-only
#                                                policy path scripts/device-acceptance.sh uses)
#   target/apk/targets/*.apk                     code-free test targets (scripts/apk/build-targets.sh)
#
# Steps, as the Android Gradle plugin does them:
#   Kotlin      android/pom.xml compiles src/main against API 35's framework (mvn compile);
#               kotlinc of the catalog's version compiles src/devicetest for the test variant
#   manifest    src/main/AndroidManifest.xml plus what AGP adds: package, versionCode/-Name,
#               <uses-sdk> (gradle/libs.versions.toml), extractNativeLibs="false"
#   resources   aapt2 compile + aapt2 link against API 34's resources.arsc (Debian's aapt2 cannot
#               read API 35's), which also writes the keep rules for the manifest's classes
#   dex         R8 (the catalog's r8, from Maven Central) with android/proguard-rules.pro, those
#               keep rules and scripts/apk/agp-rules.pro (what AGP's default file keeps)
#   native      libveto.so for arm64-v8a and x86_64 (scripts/android/build-libveto.sh: stub
#               bionic, no NDK), stripped, stored uncompressed, 16 KiB aligned (assemble.py)
#   signing     apksigner, v2 + v3, v1 off; the key from VETO_CI_KEYSTORE (PKCS12 or JKS) with
#               VETO_CI_KEYSTORE_PASSWORD, VETO_CI_KEY_ALIAS (and VETO_CI_KEY_PASSWORD if it
#               differs), or else a throwaway key made once in target/apk/keys/
#
# The AndroidX enterprise-feedback library and the Kotlin half of rustls-platform-verifier are
# not on Maven Central, so these APKs lack them; the app says so (app.veto.run.BuildFeatures).
# Organisations publish the Gradle build. Check the result with scripts/check-apk.sh.
#
# Usage: scripts/build-apk.sh [--no-targets] [--no-devicetest]
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=apk/common.sh
source scripts/apk/common.sh
build_targets=1
build_devicetest=1
while (($#)); do
    case "$1" in
        --no-targets) build_targets=0 ;;
        --no-devicetest) build_devicetest=0 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-apk.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

start=$SECONDS
phase() { echo "== $* (+$((SECONDS - start)) s)"; }

version_name="$(veto_catalog versionName)"
version_code="$(veto_catalog versionCode)"
min_sdk="$(veto_catalog minSdk)"
target_sdk="$(veto_catalog targetSdk)"
package=app.veto
work="$VETO_APK_WORK"
mkdir -p "$VETO_APK_DIR" "$work"

phase "tools (Debian packages, Maven Central jars)"
veto_install_apk_tools
veto_resolve_java_tools
scripts/android/setup.sh >/dev/null

main_classes="$PWD/android/target/classes"
# kotlin-maven-plugin rewrites every class on each compile, so VetoNative.class is as new as the
# last compile: when nothing under src/main (sources, manifest, res/) or pom.xml is newer, the
# classes are current (test-all.sh compiles them just before) and the slow compile is skipped.
marker="$main_classes/app/veto/core/VetoNative.class"
if [[ -f "$marker" && -z "$(find android/src/main android/pom.xml -newer "$marker" -print -quit)" ]]; then
    phase "Kotlin: android/target/classes is newer than src/main and pom.xml: not recompiled"
else
    phase "Kotlin: android/pom.xml compile (src/main against API 35)"
    (cd android && mvn -B -ntp -q -Dstyle.color=never compile) || { echo "build-apk.sh: mvn compile failed" >&2; exit 1; }
fi

if ((build_devicetest)); then
    stamp="$work/devicetest-classes/.compiled"
    if [[ -f "$stamp" && -z "$(find android/src/devicetest "$marker" -newer "$stamp" -print -quit)" ]]; then
        phase "Kotlin: src/devicetest classes are current: not recompiled"
    else
        phase "Kotlin: src/devicetest (test variant only)"
        rm -rf "$work/devicetest-classes"
        mapfile -t devicetest_sources < <(find android/src/devicetest/kotlin -name '*.kt' | sort)
        veto_kotlinc -Werror -jvm-target 17 -d "$work/devicetest-classes" \
            -cp "$main_classes:$VETO_FRAMEWORK_JAR:$VETO_KOTLIN_STDLIB" "${devicetest_sources[@]}"
        touch "$stamp"
    fi
fi

phase "resources: aapt2 compile"
rm -rf "$work/res.zip"
aapt2 compile --dir android/src/main/res -o "$work/res.zip"

phase "libveto.so: arm64-v8a and x86_64"
declare -A abi_of=([aarch64-linux-android]=arm64-v8a [x86_64-linux-android]=x86_64)
lib_args=()
for triple in aarch64-linux-android x86_64-linux-android; do
    lib="$(scripts/android/build-libveto.sh "$triple")"
    stripped="$work/libveto-${abi_of[$triple]}.so"
    llvm-strip --strip-all -o "$stripped" "$lib"
    lib_args+=(--add "lib/${abi_of[$triple]}/libveto.so=$stripped")
done

# The signing key: the environment's, or a throwaway one kept in target/apk/keys/.
keystore="${VETO_CI_KEYSTORE:-}"
if [[ -n "$keystore" ]]; then
    : "${VETO_CI_KEYSTORE_PASSWORD:?VETO_CI_KEYSTORE is set: set VETO_CI_KEYSTORE_PASSWORD too}"
    : "${VETO_CI_KEY_ALIAS:?VETO_CI_KEYSTORE is set: set VETO_CI_KEY_ALIAS too}"
    [[ -f "$keystore" ]] || { echo "build-apk.sh: VETO_CI_KEYSTORE=$keystore not found" >&2; exit 1; }
    ks_pass="$VETO_CI_KEYSTORE_PASSWORD" key_alias="$VETO_CI_KEY_ALIAS"
    key_pass="${VETO_CI_KEY_PASSWORD:-$ks_pass}"
    echo "signing with $keystore (alias $key_alias, from the environment)"
else
    keystore="$(scripts/apk/keys.sh ci)"
    ks_pass=veto-throwaway key_alias=ci key_pass=veto-throwaway
    echo "signing with a throwaway key ($keystore): no VETO_CI_KEYSTORE in the environment"
fi

# One variant: link, shrink, package, sign.
build_variant() {
    local variant="$1" out="$2"
    local dir="$work/$variant"
    rm -rf "$dir"
    mkdir -p "$dir/dex"
    local overlays=()
    [[ "$variant" == devicetest ]] && overlays=(--overlay android/src/devicetest/AndroidManifest.xml)

    phase "$variant: manifest"
    python3 scripts/apk/manifest.py --main android/src/main/AndroidManifest.xml "${overlays[@]}" \
        --package "$package" --version-code "$version_code" --version-name "$version_name" \
        --min-sdk "$min_sdk" --target-sdk "$target_sdk" --out "$dir/AndroidManifest.xml"

    phase "$variant: aapt2 link"
    aapt2 link -o "$dir/linked.apk" -I "$VETO_FRAMEWORK_RES_JAR" --manifest "$dir/AndroidManifest.xml" \
        --proguard "$dir/aapt2-rules.pro" --auto-add-overlay "$work/res.zip"
    # The R IDs android/pom.xml inlined into the classes must be this link's.
    python3 scripts/apk/check_r_ids.py "$main_classes" "$dir/linked.apk"

    phase "$variant: R8"
    local program=("$dir/classes.jar" "$VETO_KOTLIN_STDLIB")
    (cd "$main_classes" && jar cf "$dir/classes.jar" .)
    if [[ "$variant" == devicetest ]]; then
        (cd "$work/devicetest-classes" && jar cf "$dir/devicetest.jar" app)
        program+=("$dir/devicetest.jar")
    fi
    java -cp "$VETO_R8_JAR" com.android.tools.r8.R8 --release --min-api "$min_sdk" \
        --lib "$VETO_FRAMEWORK_JAR" --lib "${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}" \
        --pg-conf android/proguard-rules.pro --pg-conf "$dir/aapt2-rules.pro" --pg-conf scripts/apk/agp-rules.pro \
        --pg-map-output "$dir/mapping.txt" --output "$dir/dex" "${program[@]}"

    phase "$variant: package and sign"
    python3 scripts/apk/assemble.py --base "$dir/linked.apk" --out "$dir/unsigned.apk" \
        --add "classes.dex=$dir/dex/classes.dex" "${lib_args[@]}"
    apksigner sign --ks "$keystore" --ks-pass "pass:$ks_pass" --ks-key-alias "$key_alias" \
        --key-pass "pass:$key_pass" --v1-signing-enabled false --v2-signing-enabled true \
        --v3-signing-enabled true --v4-signing-enabled false --out "$out" "$dir/unsigned.apk"
    echo "   $out: $(stat -c %s "$out") bytes"
}

build_variant release "$VETO_APK_DIR/veto-$version_name-ci.apk"
if ((build_devicetest)); then
    build_variant devicetest "$VETO_APK_DIR/veto-$version_name-ci-devicetest.apk"
fi
if ((build_targets)); then
    phase "test targets"
    scripts/apk/build-targets.sh
fi
phase "done"
echo "build-apk: $(basename "$VETO_APK_DIR/veto-$version_name-ci.apk") in $((SECONDS - start)) s"
