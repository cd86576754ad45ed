#!/usr/bin/env bash
# Compiles android/src/main/res and the manifest with aapt2 (Debian package `aapt`) the way the
# Android Gradle plugin would, for the Maven harness: Robolectric's binary resources mode loads
# the resource APK, and the Kotlin code compiles against the generated app.veto.R.
#
# Usage: link-resources.sh FRAMEWORK_JAR OUT_DIR MIN_SDK TARGET_SDK
#   FRAMEWORK_JAR  a jar or APK holding the framework's resources.arsc (aapt2 -I); Debian's
#                  aapt2 cannot read API 35's table, so the pom passes API 34's android-all.
# Writes OUT_DIR/AndroidManifest.xml (merged: package, version, <uses-sdk>), resources.ap_,
# gen/app/veto/R.java and an empty assets/ folder.
set -euo pipefail
framework=$1 out=$2 min_sdk=$3 target_sdk=$4
here="$(cd "$(dirname "$0")/.." && pwd)"
package=app.veto version_code=1 version_name=0.1.0

if ! command -v aapt2 >/dev/null; then
  echo "aapt2 not found: install Debian's aapt package (apt-get install -y aapt)" >&2
  exit 1
fi
[ -f "$framework" ] || { echo "framework resources not found: $framework" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/gen" "$out/assets"

# What AGP adds when it merges the manifest (namespace/applicationId, version, SDK levels).
sed -e "0,/<manifest /s##<manifest package=\"$package\" android:versionCode=\"$version_code\" android:versionName=\"$version_name\" #" \
    "$here/src/main/AndroidManifest.xml" >"$out/AndroidManifest.xml.tmp"
# <uses-sdk> right after the opening <manifest ...> element.
awk -v min="$min_sdk" -v target="$target_sdk" '
  { print }
  !done && /<manifest / { opening = 1 }
  opening && />/ && !done {
    print "    <uses-sdk android:minSdkVersion=\"" min "\" android:targetSdkVersion=\"" target "\" />"
    done = 1; opening = 0
  }' "$out/AndroidManifest.xml.tmp" >"$out/AndroidManifest.xml"
rm "$out/AndroidManifest.xml.tmp"
grep -q "package=\"$package\"" "$out/AndroidManifest.xml" || { echo "could not merge the manifest" >&2; exit 1; }

aapt2 compile --dir "$here/src/main/res" -o "$out/compiled.zip"
aapt2 link -I "$framework" \
  --manifest "$out/AndroidManifest.xml" \
  --java "$out/gen" \
  -o "$out/resources.ap_" \
  "$out/compiled.zip"
echo "linked $(unzip -l "$out/resources.ap_" | tail -1 | awk '{print $2}') files into $out/resources.ap_"
