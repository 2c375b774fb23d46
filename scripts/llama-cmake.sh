#!/usr/bin/env bash
# The CMake flags llama-cpp-python is built with on this machine (scripts/setup.sh): nothing on
# ARM and others (llama.cpp's native build); on x86_64 the vector extensions the CPU lists, named
# one by one, never AMX or BF16 and never -march=native (docs/operating.md#the-llamacpp-build).
# Usage: scripts/llama-cmake.sh [CPUINFO [ARCH]]   (defaults: /proc/cpuinfo, uname -m)
set -euo pipefail
cpuinfo=${1:-/proc/cpuinfo}
arch=${2:-$(uname -m)}
[ "$arch" = x86_64 ] || exit 0
cpu_flags=" $(grep -m 1 '^flags' "$cpuinfo" | cut -d: -f2) "
cpu_has() {
    for flag in "$@"; do
        case "$cpu_flags" in *" $flag "*) ;; *) return 1 ;; esac
    done
}
cmake="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
if cpu_has avx_vnni; then
    cmake="$cmake -DGGML_AVX_VNNI=ON"
fi
if cpu_has avx512f avx512cd avx512vl avx512dq avx512bw; then
    cmake="$cmake -DGGML_AVX512=ON"
    if cpu_has avx512_vnni; then
        cmake="$cmake -DGGML_AVX512_VNNI=ON"
    fi
    if cpu_has avx512vbmi; then
        cmake="$cmake -DGGML_AVX512_VBMI=ON"
    fi
fi
printf '%s\n' "$cmake"
