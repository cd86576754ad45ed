#!/usr/bin/env bash
# Builds the release libveto.so for one Android target without the Android NDK (stub bionic
# libraries from stub-linker.sh, Debian's clang standing in for the NDK's; see toolchain.sh) and
# prints its path. Used by scripts/build-apk.sh for arm64-v8a and x86_64 (what emulators run).
# The library is right in layout and exports, not the one to publish: Gradle builds that with
# the real NDK (docs/admin.md).
#
# Page size: NDK r28 and cargo-ndk 4 link 16 KiB-aligned by default; Debian's lld does not
# (4 KiB on x86_64), so this build passes the two 16 KiB page flags itself, on the command line
# (no committed cargo configuration changes anyone's NDK build).
#
# Usage: scripts/android/build-libveto.sh TARGET   (aarch64-linux-android | x86_64-linux-android)
# Run setup.sh first. Exit status 2 on a failed build.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${1:?usage: build-libveto.sh TARGET}"
VETO_ROOT="${VETO_ROOT:-$(cd "$script_dir/../.." && pwd)}"
# shellcheck source-path=SCRIPTDIR source=toolchain.sh
source "$script_dir/toolchain.sh"
veto_require_tools cargo clang ld.lld llvm-ar llvm-nm || exit 2
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$VETO_ROOT/target}"

clang_triple="$(veto_clang_triple "$target")" || exit 2
veto_export_cc_env
export VETO_STUB_DIR="$VETO_ANDROID_WORK/stubs-$target"
export VETO_CLANG_TARGET="$clang_triple$VETO_ANDROID_API"
linker_var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$target")_LINKER"
export "$linker_var=$script_dir/stub-linker.sh"
page_flags='["-C", "link-arg=-Wl,-z,max-page-size=16384", "-C", "link-arg=-Wl,-z,common-page-size=16384"]'

echo "== building libveto.so (release, $target)" >&2
if ! (cd "$VETO_ROOT" && cargo build --release --locked -p veto-jni --target "$target" \
    --config "target.$target.rustflags=$page_flags" >&2); then
    echo "build-libveto.sh: the build for $target failed (see above)" >&2
    exit 2
fi
lib="$CARGO_TARGET_DIR/$target/release/libveto.so"
[[ -f "$lib" ]] || { echo "build-libveto.sh: the build succeeded but $lib is missing" >&2; exit 2; }
echo "$lib"
