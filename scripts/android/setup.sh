#!/usr/bin/env bash
# Installs what scripts/android/clippy.sh and check-libveto.sh need, on a Debian machine without
# the Android NDK (CI, development machines). Idempotent: installs only what is missing.
#
#   Rust targets   aarch64-linux-android, armv7-linux-androideabi, x86_64-linux-android
#   clang, lld     compile C code for the Android targets and link libveto.so (toolchain.sh,
#                  stub-linker.sh)
#   llvm           llvm-ar, llvm-nm, llvm-readelf, llvm-strip
#   libc6-dev-{arm64,armel,amd64}-cross
#                  C headers for the three architectures: crates with C code (ring) need
#                  string.h and friends, and Debian has no bionic headers. toolchain.sh explains
#                  why glibc's serve for checking and why armv7 takes armel's.
#
# Building the APK itself needs the real Android SDK and NDK: see docs/admin.md.
set -euo pipefail

targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
packages=(clang lld llvm libc6-dev-arm64-cross libc6-dev-armel-cross libc6-dev-amd64-cross)

if ! command -v rustup >/dev/null 2>&1; then
    echo "setup.sh: rustup not found; install Rust with rustup first" >&2
    exit 1
fi
installed_targets="$(rustup target list --installed)"
missing_targets=()
for t in "${targets[@]}"; do
    grep -qxF "$t" <<<"$installed_targets" || missing_targets+=("$t")
done
if ((${#missing_targets[@]})); then
    echo "== rustup target add ${missing_targets[*]}"
    rustup target add "${missing_targets[@]}"
fi

missing_packages=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing_packages+=("$p")
done
if ((${#missing_packages[@]})); then
    sudo=()
    if ((EUID != 0)); then
        sudo=(sudo)
    fi
    echo "== apt-get install ${missing_packages[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_packages[@]}"
fi

# Debian's llvm package puts the unversioned tools on PATH; check what the scripts call.
for tool in clang ld.lld llvm-ar llvm-nm llvm-readelf llvm-strip; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup.sh: $tool is still missing after installing ${packages[*]}" >&2
        exit 1
    fi
done
echo "setup.sh: Android check toolchain ready (targets: ${targets[*]})"
