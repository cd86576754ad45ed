#!/usr/bin/env bash
# Issue 9, item 8: what CI can do against hidden APIs without the SDK's android.jar.
#   1. compiles android/src/androidx (Gradle-only; it needs AndroidX) with kotlinc -Werror against
#      the shell's classes and compile-only stubs of enterprise-feedback 1.1.0's public API
#      (scripts/apk/androidx-stubs/), so a change to the shell that breaks it fails here;
#   2. checks the framework references in the CI APK's dex (api_refs.py): nothing from
#      com.android.internal, nothing android-all marks @UnsupportedAppUsage, and every android.*
#      member in the reviewed list scripts/apk/framework-api.txt.
# Usage: scripts/apk/check-api.sh [--update]   (after scripts/build-apk.sh)
#   --update  rewrite framework-api.txt from the dex; review the diff before committing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=common.sh
source scripts/apk/common.sh
update=()
[[ "${1:-}" == --update ]] && update=(--update)
veto_install_apk_tools
veto_resolve_java_tools
version="$(veto_catalog versionName)"
apk="$VETO_APK_DIR/veto-$version-ci.apk"
[[ -f "$apk" && -d android/target/classes ]] || { echo "check-api.sh: run scripts/build-apk.sh first" >&2; exit 2; }
w="$VETO_APK_WORK/api"
rm -rf "$w"
mkdir -p "$w/stubs" "$w/androidx"
status=0

mapfile -t stubs < <(find scripts/apk/androidx-stubs -name '*.java' | sort)
javac -nowarn -d "$w/stubs" -cp "$VETO_FRAMEWORK_JAR" "${stubs[@]}"
mapfile -t sources < <(find android/src/androidx/kotlin -name '*.kt' | sort)
if veto_kotlinc -Werror -jvm-target 17 -d "$w/androidx" \
    -cp "android/target/classes:$w/stubs:$VETO_FRAMEWORK_JAR:$VETO_KOTLIN_STDLIB" "${sources[@]}"; then
    echo "ok    src/androidx compiles (-Werror) against the shell and enterprise-feedback's public API"
else
    echo "FAIL  src/androidx does not compile against the shell and enterprise-feedback's public API (above)"
    status=1
fi

# The detector itself, on a member android-all is known to mark hidden.
if python3 -c 'import sys; sys.path.insert(0, "scripts/apk"); import api_refs
r = "Landroid/app/ActivityThread;.currentActivityThread:()Landroid/app/ActivityThread;"
sys.exit(0 if api_refs.unsupported_app_usage(sys.argv[1], {r}) == {r} else 1)' "$VETO_FRAMEWORK_JAR"; then
    echo "ok    the @UnsupportedAppUsage detector flags ActivityThread.currentActivityThread() in android-all"
else
    echo "FAIL  the @UnsupportedAppUsage detector misses ActivityThread.currentActivityThread(): it cannot be trusted"
    status=1
fi

python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("classes.dex"))' "$apk" >"$w/classes.dex"
dexdump -d "$w/classes.dex" >"$w/dexdump.txt"
python3 scripts/apk/api_refs.py --dexdump-output "$w/dexdump.txt" --framework-jar "$VETO_FRAMEWORK_JAR" \
    --list scripts/apk/framework-api.txt "${update[@]}" || status=1
exit "$status"
