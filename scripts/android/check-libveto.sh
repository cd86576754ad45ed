#!/usr/bin/env bash
# Builds the release libveto.so for aarch64-linux-android without the Android NDK and checks
# what a phone's loader and the Play Store will look at:
#
#   exports     the dynamic symbol table defines exactly the Java_* symbol of every
#               `external fun` in android/src/main/kotlin/app/veto/core/VetoNative.kt, plus
#               JNI_OnLoad if rust/veto-jni defines it, and nothing else
#   alignment   every PT_LOAD segment is aligned to at least 16 KiB (Android 15 devices with
#               16 KiB pages refuse to load anything less; Play requires it for new apps)
#   needed      DT_NEEDED names only libc.so, libm.so, libdl.so, liblog.so
#   size        the stripped library fits the budget (default 2.25 MiB; the goal is 1.5 MiB)
#
# The build (build-libveto.sh) links against stub bionic libraries made by stub-linker.sh, with
# the 16 KiB page flags NDK r28 and cargo-ndk 4 apply by default in the Gradle build. Run
# setup.sh first.
#
# Usage: scripts/android/check-libveto.sh [--root DIR] [--budget BYTES]
#   --root DIR       repository to check (default: this script's repository)
#   --budget BYTES   size budget for the stripped library (default: 2359296 = 2.25 MiB)
# Exit status: 0 when every check passes, 1 when any fails, 2 on bad usage or a failed build.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$script_dir/../.." && pwd)"
# The goal was 1.5 MiB, and the core alone (policy, matching, state, JNI) is about 0.78 MiB.
# The signed feed and the report queue bring HTTPS into the library (ureq, rustls, ring and
# rustls-platform-verifier, which issue 4 asks for so that the CAs the EMM installs are
# trusted): 2.0 MiB with opt-level "z" and no webpki-roots on Android. The budget is set
# just above that so that any further growth fails here; getting back to 1.5 MiB means
# moving the HTTPS transport into the Kotlin shell (see docs/jni.md, "Size").
budget=2359296
while (($#)); do
    case "$1" in
        --root) root="$(cd "${2:?--root needs a directory}" && pwd)"; shift 2 ;;
        --budget) budget="${2:?--budget needs a number of bytes}"; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "check-libveto.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ "$budget" =~ ^[0-9]+$ ]]; then
    echo "check-libveto.sh: --budget must be a number of bytes, got '$budget'" >&2
    exit 2
fi

VETO_ROOT="$root"
# shellcheck source-path=SCRIPTDIR source=toolchain.sh
source "$script_dir/toolchain.sh"
veto_require_tools cargo clang ld.lld llvm-ar llvm-nm llvm-readelf llvm-strip || exit 2

target=aarch64-linux-android
kotlin_file="$root/android/src/main/kotlin/app/veto/core/VetoNative.kt"
jni_src="$root/rust/veto-jni/src"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

# --- what the library must export --------------------------------------------------------
if [[ ! -f "$kotlin_file" ]]; then
    echo "check-libveto.sh: $kotlin_file not found: cannot tell which symbols to expect" >&2
    exit 2
fi
package="$(sed -nE 's/^[[:space:]]*package[[:space:]]+([A-Za-z0-9_.]+).*/\1/p' "$kotlin_file" | head -n1)"
holder="$(sed -nE 's/^[[:space:]]*(public[[:space:]]+|internal[[:space:]]+)?(object|class)[[:space:]]+([A-Za-z0-9_]+).*/\3/p' "$kotlin_file" | head -n1)"
mapfile -t methods < <(grep -oE 'external[[:space:]]+fun[[:space:]]+[A-Za-z0-9_]+' "$kotlin_file" | awk '{ print $NF }')
if [[ -z "$package" || -z "$holder" || ${#methods[@]} -eq 0 ]]; then
    echo "check-libveto.sh: $kotlin_file: expected a package, an object or class, and external funs;" \
        "found package='$package' holder='$holder' external funs=${#methods[@]}" >&2
    exit 2
fi
duplicates="$(printf '%s\n' "${methods[@]}" | sort | uniq -d)"
if [[ -n "$duplicates" ]]; then
    echo "check-libveto.sh: $kotlin_file: overloaded external funs ($duplicates) need JNI's long" \
        "names (with the signature); keep one native method per name" >&2
    exit 2
fi
# JNI short names: Java_<class with / as _>_<method>, where _ in a name becomes _1.
jni_mangle() { local s="${1//_/_1}"; echo "${s//./_}"; }
expected=()
for m in "${methods[@]}"; do
    expected+=("Java_$(jni_mangle "$package.$holder")_$(jni_mangle "$m")")
done
if grep -rqE 'fn[[:space:]]+JNI_OnLoad\b' "$jni_src" 2>/dev/null; then
    expected+=(JNI_OnLoad)
fi

# --- build (build-libveto.sh: stub bionic, the 16 KiB page flags) -----------------------
start=$SECONDS
lib="$("$script_dir/build-libveto.sh" "$target")" || exit 2
echo "   built in $((SECONDS - start)) s"
stripped="$VETO_ANDROID_WORK/libveto-$target.stripped.so"
llvm-strip --strip-all -o "$stripped" "$lib"

# --- checks ------------------------------------------------------------------------------
failures=0
# One call of fail or pass per check.
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
pass() { echo "ok    $*"; }

echo "== checks on $lib"

# Defined dynamic symbols: Ndx is not UND, and the binding is GLOBAL or WEAK.
mapfile -t exported < <(llvm-readelf --dyn-syms -W "$lib" |
    awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") { sub(/@.*/, "", $8); print $8 }' |
    sort -u)
missing=()
for sym in "${expected[@]}"; do
    printf '%s\n' "${exported[@]}" | grep -qxF "$sym" || missing+=("$sym")
done
extra=()
for sym in "${exported[@]}"; do
    printf '%s\n' "${expected[@]}" | grep -qxF "$sym" || extra+=("$sym")
done
problems=()
if ((${#missing[@]})); then
    problems+=("missing ${missing[*]} (declared in ${kotlin_file#"$root"/})")
fi
if ((${#extra[@]} > 20)); then
    problems+=("unexpected ${extra[*]:0:20} … (${#extra[@]} in all)")
elif ((${#extra[@]})); then
    problems+=("unexpected ${extra[*]}")
fi
if ((${#problems[@]})); then
    fail "exports: ${problems[0]}${problems[1]:+; ${problems[1]}}"
else
    pass "exports: exactly ${expected[*]}"
fi

# PT_LOAD alignment: the last column of each LOAD line in the program headers.
mapfile -t aligns < <(llvm-readelf -l -W "$lib" | awk '$1 == "LOAD" { print $NF }')
if ((${#aligns[@]} == 0)); then
    fail "alignment: no PT_LOAD segments found"
else
    low=()
    for a in "${aligns[@]}"; do
        ((a < 16384)) && low+=("$a")
    done
    if ((${#low[@]})); then
        fail "alignment: PT_LOAD segments aligned to ${low[*]} (need ≥ 0x4000 = 16 KiB)"
    else
        pass "alignment: ${#aligns[@]} PT_LOAD segments, all aligned to ≥ 16 KiB (${aligns[*]})"
    fi
fi

# DT_NEEDED.
allowed=(libc.so libm.so libdl.so liblog.so)
mapfile -t needed < <(llvm-readelf -d -W "$lib" | sed -nE 's/.*\(NEEDED\).*\[(.*)\].*/\1/p')
bad_needed=()
for n in "${needed[@]}"; do
    printf '%s\n' "${allowed[@]}" | grep -qxF "$n" || bad_needed+=("$n")
done
if ((${#bad_needed[@]})); then
    fail "needed: ${bad_needed[*]} not allowed (only ${allowed[*]})"
else
    pass "needed: ${needed[*]:-(none)}"
fi

# Size.
size=$(stat -c %s "$stripped")
kib=$(((size + 1023) / 1024))
if ((size > budget)); then
    fail "size: stripped $size bytes ($kib KiB) is over the budget of $budget bytes"
else
    pass "size: stripped $size bytes ($kib KiB), budget $budget bytes ($((size * 100 / budget))% used)"
fi

stub_dir="$VETO_ANDROID_WORK/stubs-$target"
echo "== stub bionic symbols the library uses (from $stub_dir):"
for part in libc libm libdl liblog libunwind; do
    echo "   $part: $(wc -l <"$stub_dir/$part.txt") symbols"
done

# Four checks: exports, alignment, needed, size.
echo "check-libveto: $((4 - failures)) passed, $failures failed"
if ((failures)); then
    exit 1
fi
