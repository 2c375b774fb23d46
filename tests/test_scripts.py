"""scripts/llama-cmake.sh: the CPU flags llama-cpp-python is built with (scripts/setup.sh)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "llama-cmake.sh"
AVX2 = "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
# /proc/cpuinfo's flags of the 2-core Xeon the benchmarks ran on (AVX-512, no AMX listed)
XEON = (
    "fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 avx512f avx512dq avx512ifma avx512cd "
    "avx512bw avx512vl avx512vbmi avx512_vbmi2 avx512_vnni avx512_bitalg avx512_vpopcntdq "
    "avx_vnni avx512_bf16 avx512_fp16"
)


def cmake(tmp_path: Path, flags: str, arch: str = "x86_64") -> str:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n"
    )
    done = subprocess.run(
        ["bash", str(SCRIPT), str(cpuinfo), arch], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_an_avx2_cpu_keeps_the_flags_of_before(tmp_path: Path) -> None:
    # the same string as before AVX-512 was looked for: the wheel cached under it stays valid
    assert cmake(tmp_path, "fpu sse2 avx f16c fma avx2") == AVX2


def test_an_avx512_cpu_gets_its_extensions_named_one_by_one(tmp_path: Path) -> None:
    flags = cmake(tmp_path, XEON).split()
    assert flags[:5] == AVX2.split()
    assert set(flags[5:]) == {
        "-DGGML_AVX_VNNI=ON",
        "-DGGML_AVX512=ON",
        "-DGGML_AVX512_VNNI=ON",
        "-DGGML_AVX512_VBMI=ON",
    }
    assert not any("BF16" in f or "AMX" in f or "NATIVE=ON" in f for f in flags)


@pytest.mark.parametrize("missing", ["avx512bw", "avx512vl", "avx512dq", "avx512cd"])
def test_avx512_only_with_every_part_llama_cpp_compiles_for(tmp_path: Path, missing: str) -> None:
    flags = cmake(tmp_path, XEON.replace(f" {missing} ", " ")).split()
    assert "-DGGML_AVX512=ON" not in flags
    assert "-DGGML_AVX512_VNNI=ON" not in flags


def test_arm_gets_the_native_build(tmp_path: Path) -> None:
    assert cmake(tmp_path, "fp asimd asimddp", arch="aarch64") == ""


def test_it_runs_on_this_machine(tmp_path: Path) -> None:
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, check=True)
    assert done.returncode == 0 and done.stderr == ""
