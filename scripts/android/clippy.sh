#!/usr/bin/env bash
# Lints the crates that ship in libveto.so for each Android target the APK ships, with warnings
# as errors. Target-specific code (android_logger, cfg(target_os = "android")) is only checked
# this way. C code in dependencies is compiled with the stand-in toolchain of toolchain.sh.
# Run setup.sh first.
#
# Usage: scripts/android/clippy.sh [--root DIR]   (default: this script's repository)
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$script_dir/../.." && pwd)"
while (($#)); do
    case "$1" in
        --root) root="$(cd "${2:?--root needs a directory}" && pwd)"; shift 2 ;;
        *) echo "clippy.sh: unknown argument '$1' (usage: clippy.sh [--root DIR])" >&2; exit 2 ;;
    esac
done

VETO_ROOT="$root"
# shellcheck source-path=SCRIPTDIR source=toolchain.sh
source "$script_dir/toolchain.sh"
veto_require_tools cargo
veto_export_cc_env
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

crates=(-p veto-core -p veto-store -p veto-net -p veto-jni)
failed=()
for target in "${VETO_ANDROID_TARGETS[@]}"; do
    echo "== cargo clippy --target $target"
    start=$SECONDS
    if (cd "$root" && cargo clippy "${crates[@]}" --target "$target" -- -D warnings); then
        echo "   $target: clean ($((SECONDS - start)) s)"
    else
        failed+=("$target")
    fi
done

if ((${#failed[@]})); then
    echo "android clippy: FAILED for ${failed[*]}"
    exit 1
fi
echo "android clippy: clean for ${VETO_ANDROID_TARGETS[*]}"
