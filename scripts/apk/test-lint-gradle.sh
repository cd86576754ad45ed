#!/usr/bin/env bash
# Proves scripts/apk/lint-gradle.py catches each trap it exists for: a copy of the Gradle files
# is broken one trap at a time and the lint must fail naming it. Also checks that
# scripts/gradle-wrapper.sh refuses a distribution whose SHA-256 differs from the pinned one.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
t="$(mktemp -d)"
trap 'rm -rf "$t"' EXIT
files=(gradle.properties settings.gradle.kts android/build.gradle.kts gradle/libs.versions.toml
    gradle/wrapper/gradle-wrapper.properties docs/admin.md scripts/gradle-wrapper.sh
    scripts/apk/tools.pom.xml android/pom.xml)
fresh() {
    rm -rf "$t/r"
    mkdir -p "$t/r"
    for f in "${files[@]}"; do
        mkdir -p "$t/r/$(dirname "$f")"
        cp "$root/$f" "$t/r/$f"
    done
    git -C "$t/r" init -q
}
passed=0
failed=0
expect() { # description expected-text : runs the lint on $t/r
    local out status=0
    out="$(python3 "$root/scripts/apk/lint-gradle.py" --root "$t/r" 2>&1)" || status=$?
    if ((status == 1)) && grep -qF -- "$2" <<<"$out"; then
        echo "ok    $1: the lint fails with \"$2\""
        passed=$((passed + 1))
    else
        echo "FAIL  $1: expected exit 1 and \"$2\", got exit $status:"
        grep -E '^FAIL' <<<"$out" | sed 's/^/        /'
        failed=$((failed + 1))
    fi
}
edit() { python3 - "$t/r/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:]
s = open(path).read()
if old not in s:
    sys.exit("test-lint-gradle.sh: %r not found in %s" % (old, path))
open(path, "w").write(s.replace(old, new, 1))
PY
}

fresh
if python3 scripts/apk/lint-gradle.py --root "$t/r" >/dev/null; then
    echo "ok    the unbroken copy passes"; passed=$((passed + 1))
else
    echo "FAIL  the unbroken copy fails the lint"; failed=$((failed + 1))
fi

fresh; edit gradle.properties "android.useAndroidX=true" "android.useAndroidX=false"
expect "1. AndroidX off" "android.useAndroidX must be true"
fresh; rm "$t/r/gradle.properties"
expect "1. no gradle.properties" "missing: it must set android.useAndroidX=true"
fresh; edit gradle.properties "-Xmx4g" "-Xmx512m"
expect "1. small daemon heap" "org.gradle.jvmargs needs -Xmx of at least 2g"
fresh; edit gradle/libs.versions.toml 'agp = "8.7.2"' 'agp = "8.10.1"'
expect "2. AGP 8.10 with Kotlin 2.1" "is outside what Kotlin 2.1.21 supports"
fresh; edit gradle/libs.versions.toml 'r8 = "' 'r8 = "8.5.35" # was "'
expect "2. R8 of another release line" "is not AGP 8.7.2's release line"
fresh; edit android/build.gradle.kts '"build", "--locked",' '"build", "--locked", "--config", "target.aarch64-linux-android.rustflags=[]",'
expect "3. cargo --config" "passes --config / rustflags / max-page-size to cargo"
fresh; edit android/build.gradle.kts 'providers.gradleProperty("veto.cargo")' 'providers.gradleProperty("cargo.path")'
expect "4. cargo only from PATH" "cargo must be found without PATH"
fresh; edit settings.gradle.kts 'filter { includeModule("org.rustls", "rustls-platform-verifier") }' 'filter { includeGroup("org.example") }'
expect "5. rustls repository not exclusive" "must be exclusiveContent"
fresh; sed -i '/^distributionSha256Sum=/d' "$t/r/gradle/wrapper/gradle-wrapper.properties"
expect "5. no distribution checksum" "no distributionSha256Sum"
fresh; edit android/build.gradle.kts "    @TaskAction" "    init { doFirst { } }
    @TaskAction"
expect "7. doFirst" "a doFirst/doLast action"
fresh; edit android/build.gradle.kts "fileSystemOperations.delete { delete(out) }" ""
expect "7. stale ABI folders" "must empty its output folder"
fresh; edit android/build.gradle.kts "variant.sources.jniLibs?.addGeneratedSourceDirectory(cargoNdkBuild, CargoNdkBuild::outputDirectory)" 'android.sourceSets.getByName("main").jniLibs.srcDir("build/rustJniLibs")'
expect "7. one library for every variant" "libveto.so must be built per variant"
fresh; edit docs/admin.md "| 28.2.13676358 (r28c)" "| 27.2.12479018"
expect "7. docs table drifted" "the versions table says Android NDK is '27.2.12479018'"
fresh; edit docs/admin.md "android-release-unsigned.apk" "app-release-unsigned.apk"
expect "7. docs name the wrong APK" "must name android-release.apk (signed) and android-release-unsigned.apk"

fresh; edit scripts/apk/tools.pom.xml "<version>15-robolectric-12650502</version>" "<version>15-robolectric-0</version>"
expect "CI tools on another framework jar" "android-all 15-robolectric-0, but android/pom.xml compiles against"

# scripts/gradle-wrapper.sh refuses a distribution that is not the pinned one.
fresh
printf 'not gradle' >"$t/fake.zip"
out="$(cd "$t/r" && VETO_GRADLE_DIST="$t/fake.zip" bash scripts/gradle-wrapper.sh 2>&1)" && status=0 || status=$?
if ((status == 1)) && grep -qF "checksum mismatch for gradle-8.11.1-bin.zip" <<<"$out" && [[ ! -e "$t/r/gradlew" ]]; then
    echo "ok    6. gradle-wrapper.sh refuses a distribution with another SHA-256, and writes nothing"
    passed=$((passed + 1))
else
    echo "FAIL  6. gradle-wrapper.sh with a wrong distribution: exit $status: $out"
    failed=$((failed + 1))
fi

echo "test-lint-gradle: $passed passed, $failed failed"
((failed == 0))
