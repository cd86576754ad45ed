# shellcheck shell=bash
# Sourced by clippy.sh and check-libveto.sh: a stand-in Android C toolchain made from Debian's
# clang, lld and glibc cross headers, for machines without the Android NDK (CI, this repo's
# development machines).
#
# Why it exists: crates with C code (ring, for example) compile that code for the target even
# under `cargo clippy`, and the cc crate needs a working target C compiler with C headers.
# Debian's clang knows the Android triples, but without the NDK it has no bionic headers and
# falls back to the host's /usr/include, which breaks (`bits/libc-header-start.h not found`).
# So every target gets a wrapper `cc-<triple>` that runs
#   clang --target=<clang triple><minSdk> --sysroot=<empty dir> -isystem <glibc headers>
# with the glibc headers of the same architecture from Debian's libc6-dev-*-cross packages
# (installed by setup.sh). C code that only needs the C standard library headers (ring: string.h,
# stdlib.h, stdint.h) compiles the same way against them as against bionic's. Objects built like
# this are for checking only; the APK's libraries are built by Gradle with the real NDK.
#
# Nothing here is committed configuration: everything goes into environment variables of the
# calling script, so users' cargo-ndk builds are unaffected.

# The three ABIs the APK ships, as Rust target triples.
VETO_ANDROID_TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)

# minSdk of the app (gradle/libs.versions.toml `minSdk`): the API level clang compiles for.
VETO_ANDROID_API="${VETO_ANDROID_API:-26}"

# The repository root (scripts/android/..).
VETO_ROOT="${VETO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# Scratch space for generated wrappers, sysroots and stub libraries: under cargo's target dir,
# never in the source tree.
VETO_ANDROID_WORK="${VETO_ANDROID_WORK:-${CARGO_TARGET_DIR:-$VETO_ROOT/target}/android-host-toolchain}"

# clang's name for a Rust target (armv7 is spelled armv7a by the NDK and clang).
veto_clang_triple() {
    case "$1" in
        aarch64-linux-android) echo "aarch64-linux-android" ;;
        armv7-linux-androideabi) echo "armv7a-linux-androideabi" ;;
        x86_64-linux-android) echo "x86_64-linux-android" ;;
        *) echo "toolchain.sh: unknown Android target '$1'" >&2; return 1 ;;
    esac
}

# Debian's glibc cross headers for the same architecture. armv7 Android uses the soft-float
# calling convention (softfp), so it takes armel's headers: armhf's gnu/stubs.h would ask for
# gnu/stubs-hf.h, which clang's Android target does not select.
veto_cross_headers() {
    case "$1" in
        aarch64-linux-android) echo "/usr/aarch64-linux-gnu/include" ;;
        armv7-linux-androideabi) echo "/usr/arm-linux-gnueabi/include" ;;
        x86_64-linux-android) echo "/usr/x86_64-linux-gnu/include" ;;
        *) echo "toolchain.sh: unknown Android target '$1'" >&2; return 1 ;;
    esac
}

# Fails with a clear message when a tool setup.sh installs is missing.
veto_require_tools() {
    local missing=()
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if ((${#missing[@]})); then
        echo "error: missing tools: ${missing[*]} (run scripts/android/setup.sh first)" >&2
        return 1
    fi
}

# Writes cc-<triple> wrappers and exports CC_<triple>, AR_<triple> for the cc crate, for every
# target in VETO_ANDROID_TARGETS.
veto_export_cc_env() {
    veto_require_tools clang llvm-ar || return 1
    local empty_sysroot="$VETO_ANDROID_WORK/empty-sysroot"
    mkdir -p "$VETO_ANDROID_WORK/bin" "$empty_sysroot"
    local target clang_triple headers var wrapper
    for target in "${VETO_ANDROID_TARGETS[@]}"; do
        clang_triple="$(veto_clang_triple "$target")" || return 1
        headers="$(veto_cross_headers "$target")" || return 1
        if [[ ! -f "$headers/string.h" ]]; then
            echo "error: no C headers for $target at $headers (run scripts/android/setup.sh first)" >&2
            return 1
        fi
        wrapper="$VETO_ANDROID_WORK/bin/cc-$target"
        # Our flags come after the caller's: cc-rs passes its own --target without the API
        # level, and clang takes the last --target.
        cat >"$wrapper" <<EOF
#!/bin/sh
exec clang "\$@" --target=$clang_triple$VETO_ANDROID_API --sysroot=$empty_sysroot -isystem $headers
EOF
        chmod +x "$wrapper"
        var="${target//-/_}"
        export "CC_$var=$wrapper"
        export "AR_$var=llvm-ar"
    done
}
