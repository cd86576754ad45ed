# shellcheck shell=bash
# Sourced by scripts/build-apk.sh, scripts/check-apk.sh and the tests in scripts/apk/: where
# things are, the versions of gradle/libs.versions.toml (read, never repeated), and installing
# the tools (Debian packages, Maven Central jars) on a clean CI machine. Idempotent.

VETO_ROOT="${VETO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
VETO_APK_DIR="${VETO_APK_DIR:-${CARGO_TARGET_DIR:-$VETO_ROOT/target}/apk}"
VETO_APK_WORK="$VETO_APK_DIR/work"
VETO_APK_SCRIPTS="$VETO_ROOT/scripts/apk"
VETO_CATALOG="$VETO_ROOT/gradle/libs.versions.toml"

# The value of KEY in the [versions] table of the version catalog; fails naming the key.
veto_catalog() {
    local key="$1" value
    value="$(awk -v key="$key" '
        /^[[:space:]]*\[/ { table = $0; gsub(/[][[:space:]]/, "", table); next }
        table == "versions" {
            line = $0; sub(/#.*/, "", line)
            if (match(line, "^[[:space:]]*" key "[[:space:]]*=[[:space:]]*\"[^\"]*\"")) {
                v = substr(line, RSTART, RLENGTH); sub(/^[^"]*"/, "", v); sub(/"$/, "", v); print v; exit
            }
        }' "$VETO_CATALOG")"
    if [[ -z "$value" ]]; then
        echo "error: $VETO_CATALOG: [versions] has no \"$key\"" >&2
        return 1
    fi
    printf '%s\n' "$value"
}

# Debian's Android tools: aapt2 (package aapt), zipalign, apksigner, dexdump. Only what is missing.
veto_install_apk_tools() {
    local packages=(aapt zipalign apksigner dexdump) missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        local sudo=()
        ((EUID == 0)) || sudo=(sudo)
        echo "== apt-get install ${missing[*]}" >&2
        "${sudo[@]}" apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
    local tool
    for tool in aapt2 zipalign apksigner dexdump keytool java mvn python3; do
        command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool missing after installing ${packages[*]}" >&2; return 1; }
    done
}

# Resolves scripts/apk/tools.pom.xml (R8, the framework jars, kotlinc) from Maven Central and
# sets VETO_R8_JAR, VETO_FRAMEWORK_RES_JAR (API 34, for aapt2), VETO_FRAMEWORK_JAR (API 35),
# VETO_KOTLIN_STDLIB and VETO_KOTLINC_CP.
veto_resolve_java_tools() {
    local kotlin r8 cp_file
    kotlin="$(veto_catalog kotlin)" || return 1
    r8="$(veto_catalog r8)" || return 1
    mkdir -p "$VETO_APK_WORK"
    cp_file="$VETO_APK_WORK/tools-$kotlin-$r8.classpath"
    if [[ ! -s "$cp_file" ]]; then
        if ! mvn -B -ntp -q -Dstyle.color=never -f "$VETO_APK_SCRIPTS/tools.pom.xml" dependency:build-classpath \
            -Dkotlin.version="$kotlin" -Dr8.version="$r8" -Dmdep.outputFile="$cp_file.tmp" >&2; then
            echo "error: could not resolve $VETO_APK_SCRIPTS/tools.pom.xml from Maven Central" >&2
            return 1
        fi
        mv "$cp_file.tmp" "$cp_file"
    fi
    local entries=() e
    IFS=: read -r -a entries <"$cp_file" || true  # no newline at the end: read says 1
    VETO_R8_JAR="" VETO_FRAMEWORK_RES_JAR="" VETO_FRAMEWORK_JAR="" VETO_KOTLIN_STDLIB="" VETO_KOTLINC_CP=""
    for e in "${entries[@]}"; do
        case "$(basename "$e")" in
            "r8-$r8.jar") VETO_R8_JAR="$e" ;;
            android-all-instrumented-14-*.jar) VETO_FRAMEWORK_RES_JAR="$e" ;;
            android-all-15-*.jar) VETO_FRAMEWORK_JAR="$e" ;;
            "kotlin-stdlib-$kotlin.jar") VETO_KOTLIN_STDLIB="$e" ;;
        esac
        case "$(basename "$e")" in
            r8-* | android-all-*) ;;
            *) VETO_KOTLINC_CP="${VETO_KOTLINC_CP:+$VETO_KOTLINC_CP:}$e" ;;
        esac
    done
    local v
    for v in VETO_R8_JAR VETO_FRAMEWORK_RES_JAR VETO_FRAMEWORK_JAR VETO_KOTLIN_STDLIB; do
        if [[ -z "${!v}" || ! -f "${!v}" ]]; then
            echo "error: $v not found in the resolved classpath ($cp_file)" >&2
            return 1
        fi
    done
    export VETO_R8_JAR VETO_FRAMEWORK_RES_JAR VETO_FRAMEWORK_JAR VETO_KOTLIN_STDLIB VETO_KOTLINC_CP
}

# Runs kotlinc (the catalog's version) with the given arguments.
veto_kotlinc() {
    java -cp "$VETO_KOTLINC_CP" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler -no-reflect -no-stdlib "$@"
}
