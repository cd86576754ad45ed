#!/usr/bin/env bash
# A linker for `cargo build --target aarch64-linux-android` on machines without the Android NDK,
# used only by check-libveto.sh (through CARGO_TARGET_AARCH64_LINUX_ANDROID_LINKER).
#
# The NDK links libveto.so against stub shared libraries (sysroot/usr/lib/<triple>/<api>/
# libc.so, libm.so, libdl.so, liblog.so) that only list bionic's symbols, plus crtbegin_so.o,
# crtend_so.o and the static libunwind.a. We make the same kind of stubs on the spot:
#
#   1. Link once with every library empty and unresolved symbols ignored; the undefined
#      symbols left in the result are exactly what the code needs from outside.
#   2. Sort them into the library bionic keeps them in (liblog: __android_log_*; libdl: the
#      dl* loader calls; libm: the C math functions; _Unwind_*: the static libunwind.a;
#      __dso_handle: crtbegin_so.o; everything else: libc), write one assembly file per library
#      that defines each symbol, and build real ELF stubs with clang and lld.
#   3. Link again for real, with the stubs. `--as-needed` (rustc passes it) records in DT_NEEDED
#      only the libraries whose symbols are used, as on a real NDK build.
#
# A library the code asks for (`-lfoo`) that bionic does not provide has no stub, so the link
# fails, as it would with the NDK. What this cannot see: a symbol bionic lacks at minSdk (the
# NDK's stubs would reject it; ours accept anything). Our libunwind.a is empty stubs, so the
# measured size lacks the real unwinder (the NDK's adds some tens of KiB).
#
# Environment (set by check-libveto.sh):
#   VETO_STUB_DIR       directory for the stubs and the symbol lists (written fresh each link)
#   VETO_CLANG_TARGET   clang triple with API level, e.g. aarch64-linux-android26
set -euo pipefail

: "${VETO_STUB_DIR:?stub-linker.sh: VETO_STUB_DIR is not set (run it through check-libveto.sh)}"
: "${VETO_CLANG_TARGET:?stub-linker.sh: VETO_CLANG_TARGET is not set}"

args=("$@")
output=""
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ "${args[i]}" == "-o" ]]; then
        output="${args[i + 1]}"
    fi
done
if [[ -z "$output" ]]; then
    echo "stub-linker.sh: no -o in the link command: $*" >&2
    exit 1
fi

base=(clang "--target=$VETO_CLANG_TARGET" -fuse-ld=lld -nostdlib)
empty="$VETO_STUB_DIR/empty"
real="$VETO_STUB_DIR/lib"
rm -rf "$VETO_STUB_DIR"
mkdir -p "$empty" "$real" "$VETO_STUB_DIR/src"

# Step 1: empty libraries, so every -l resolves and every outside symbol stays undefined.
echo '' >"$VETO_STUB_DIR/src/empty.s"
for lib in c m dl log; do
    "${base[@]}" -shared -Wl,-soname,"lib$lib.so" -o "$empty/lib$lib.so" "$VETO_STUB_DIR/src/empty.s"
done
llvm-ar rcs "$empty/libunwind.a"

probe="$VETO_STUB_DIR/probe.so"
probe_args=()
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ "${args[i]}" == "-o" ]]; then
        probe_args+=(-o "$probe")
        i=$((i + 1))
    else
        probe_args+=("${args[i]}")
    fi
done
if ! "${base[@]}" -L "$empty" "${probe_args[@]}" -Wl,--unresolved-symbols=ignore-all -Wl,-z,undefs \
    2>"$VETO_STUB_DIR/probe.log"; then
    echo "stub-linker.sh: the first link (to list undefined symbols) failed:" >&2
    cat "$VETO_STUB_DIR/probe.log" >&2
    exit 1
fi

# Strong undefined symbols only: weak ones (std looks some up weakly) may stay unresolved.
llvm-nm -D --undefined-only "$probe" | awk '$1 == "U" { print $2 }' | sort -u >"$VETO_STUB_DIR/undefined.txt"

# Step 2: sort the symbols into bionic's libraries.
math_names=" acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh erf erfc exp exp2
 expm1 fabs fdim floor fma fmax fmin fmod frexp hypot ilogb ldexp lgamma lgamma_r llrint llround
 log log10 log1p log2 logb lrint lround modf nan nearbyint nextafter nexttoward pow remainder
 remquo rint round scalbln scalbn sin sincos sinh sqrt tan tanh tgamma trunc "
is_math() {
    local name="$1"
    [[ "$math_names" == *" $name "* ]] && return 0
    # float and long double variants: sinf, sinl, lgammaf_r
    local stem="${name%[fl]}"
    [[ "$stem" != "$name" && "$math_names" == *" $stem "* ]] && return 0
    [[ "$name" == *f_r || "$name" == *l_r ]] && [[ "$math_names" == *" ${name%?_r}_r "* ]] && return 0
    return 1
}
: >"$VETO_STUB_DIR/libc.txt"
: >"$VETO_STUB_DIR/libm.txt"
: >"$VETO_STUB_DIR/libdl.txt"
: >"$VETO_STUB_DIR/liblog.txt"
: >"$VETO_STUB_DIR/libunwind.txt"
: >"$VETO_STUB_DIR/crt.txt"
while read -r sym; do
    case "$sym" in
        __android_log_*) echo "$sym" >>"$VETO_STUB_DIR/liblog.txt" ;;
        dlopen | dlclose | dlsym | dlvsym | dlerror | dladdr | android_dlopen_ext)
            echo "$sym" >>"$VETO_STUB_DIR/libdl.txt" ;;
        _Unwind_* | __gcc_personality_v0 | __aeabi_unwind_cpp_pr* | __gnu_unwind_frame | __gnu_Unwind_*)
            echo "$sym" >>"$VETO_STUB_DIR/libunwind.txt" ;;
        __dso_handle) echo "$sym" >>"$VETO_STUB_DIR/crt.txt" ;;
        *)
            if is_math "$sym"; then
                echo "$sym" >>"$VETO_STUB_DIR/libm.txt"
            else
                echo "$sym" >>"$VETO_STUB_DIR/libc.txt"
            fi
            ;;
    esac
done <"$VETO_STUB_DIR/undefined.txt"

# One assembly file per library: each symbol a global function label (stubs are never run;
# `%function` is the spelling every ELF assembler clang targets accepts). `hidden` keeps the
# statically linked ones (libunwind, crt) out of libveto.so's exports, as in the NDK.
write_stub_asm() {
    local list="$1" out="$2" visibility="$3"
    {
        echo ".text"
        while read -r sym; do
            echo ".globl $sym"
            [[ -n "$visibility" ]] && echo ".$visibility $sym"
            echo ".type $sym, %function"
            echo "$sym:"
        done <"$list"
        echo "nop"
    } >"$out"
}
for lib in c m dl log; do
    write_stub_asm "$VETO_STUB_DIR/lib$lib.txt" "$VETO_STUB_DIR/src/lib$lib.s" ""
    "${base[@]}" -shared -Wl,-soname,"lib$lib.so" -o "$real/lib$lib.so" "$VETO_STUB_DIR/src/lib$lib.s"
done
write_stub_asm "$VETO_STUB_DIR/libunwind.txt" "$VETO_STUB_DIR/src/libunwind.s" hidden
"${base[@]}" -c -o "$VETO_STUB_DIR/src/libunwind.o" "$VETO_STUB_DIR/src/libunwind.s"
llvm-ar rcs "$real/libunwind.a" "$VETO_STUB_DIR/src/libunwind.o"
write_stub_asm "$VETO_STUB_DIR/crt.txt" "$VETO_STUB_DIR/src/crt.s" hidden
"${base[@]}" -c -o "$VETO_STUB_DIR/crt.o" "$VETO_STUB_DIR/src/crt.s"

# Step 3: the real link.
exec "${base[@]}" -L "$real" "${args[@]}" "$VETO_STUB_DIR/crt.o"
