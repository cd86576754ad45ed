#!/usr/bin/env bash
# Makes the Gradle wrapper (gradlew, gradlew.bat, gradle/wrapper/gradle-wrapper.jar) on a fresh
# clone, with no Gradle installed and without configuring the Android project (so no Android
# SDK is needed yet). The wrapper is Gradle's binary: fetched here, never committed.
#
#   1. download distributionUrl of gradle/wrapper/gradle-wrapper.properties and check it against
#      distributionSha256Sum there (Gradle publishes the sum beside the zip);
#   2. run that Gradle's `wrapper` task in an empty folder (not in this repository: `gradle
#      wrapper` here would configure the Android build first, and rewrite the properties);
#   3. check the new gradle-wrapper.jar against the SHA-256 Gradle publishes for that version's
#      wrapper jar (gradle.org/release-checksums), and that the properties it wrote name the
#      same distribution and checksum as the committed ones;
#   4. copy gradlew, gradlew.bat and the jar in. The committed properties stay as they are.
#
# Usage: scripts/gradle-wrapper.sh
#   VETO_GRADLE_DIST=FILE   use a zip already downloaded instead of fetching distributionUrl
# Needs curl (or VETO_GRADLE_DIST), unzip, sha256sum and a JDK 17.
set -euo pipefail
cd "$(dirname "$0")/.."
props=gradle/wrapper/gradle-wrapper.properties

# SHA-256 of gradle-wrapper.jar as Gradle 8.11.1 makes it (gradle.org/release-checksums). Change
# it together with distributionUrl and distributionSha256Sum.
wrapper_jar_sha256=2db75c40782f5e8ba1fc278a5574bab070adccb2d21ca5a6e5ed840888448046

prop() { sed -n "s/^$1=//p" "$props" | sed 's/\\:/:/g'; }
url="$(prop distributionUrl)"
sum="$(prop distributionSha256Sum)"
version="$(sed -nE 's/.*gradle-([0-9][0-9.]*)-bin\.zip$/\1/p' <<<"$url")"
if [[ -z "$url" || -z "$sum" || -z "$version" ]]; then
    echo "gradle-wrapper.sh: $props must have distributionUrl (…/gradle-<version>-bin.zip) and distributionSha256Sum" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
zip="$work/gradle-$version-bin.zip"
if [[ -n "${VETO_GRADLE_DIST:-}" ]]; then
    cp "$VETO_GRADLE_DIST" "$zip"
else
    echo "== downloading $url"
    curl -fsSL --retry 3 -o "$zip" "$url"
fi
actual="$(sha256sum "$zip" | cut -d' ' -f1)"
if [[ "$actual" != "$sum" ]]; then
    echo "gradle-wrapper.sh: checksum mismatch for gradle-$version-bin.zip: got $actual, $props says $sum" >&2
    exit 1
fi
echo "   gradle-$version-bin.zip: SHA-256 matches distributionSha256Sum"
unzip -q "$zip" -d "$work/dist"
gradle="$work/dist/gradle-$version/bin/gradle"
[[ -x "$gradle" ]] || { echo "gradle-wrapper.sh: $gradle not found in the distribution" >&2; exit 1; }

mkdir -p "$work/empty"
: >"$work/empty/settings.gradle.kts"
(cd "$work/empty" && "$gradle" --no-daemon -q wrapper --gradle-version "$version" \
    --distribution-type bin --gradle-distribution-sha256-sum "$sum")

jar="$work/empty/gradle/wrapper/gradle-wrapper.jar"
jar_sum="$(sha256sum "$jar" | cut -d' ' -f1)"
if [[ "$jar_sum" != "$wrapper_jar_sha256" ]]; then
    echo "gradle-wrapper.sh: gradle-wrapper.jar has SHA-256 $jar_sum, Gradle publishes $wrapper_jar_sha256 for $version" >&2
    exit 1
fi
for key in distributionUrl distributionSha256Sum; do
    if [[ "$(sed -n "s/^$key=//p" "$work/empty/$props")" != "$(sed -n "s/^$key=//p" "$props")" ]]; then
        echo "gradle-wrapper.sh: the generated $key differs from the committed one in $props" >&2
        exit 1
    fi
done
cp "$work/empty/gradlew" "$work/empty/gradlew.bat" .
cp "$jar" gradle/wrapper/gradle-wrapper.jar
echo "gradle-wrapper.sh: gradlew, gradlew.bat and gradle/wrapper/gradle-wrapper.jar (SHA-256 $jar_sum, Gradle's) are in place"
