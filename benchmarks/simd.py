"""Which vector width each elementwise kernel's loop uses on this machine (Numba's inspect_asm).

    python benchmarks/simd.py        # table + benchmarks/results/simd.json

The widest register the CPU has (zmm with AVX-512, ymm with AVX2) beside the widest one
each compiled loop uses, with the counts of packed and scalar arithmetic instructions
(autograd_core/kernels/simd_report.py says how they are read).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine_info, numpy_simd  # noqa: E402

from autograd_core.kernels import simd_report  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "simd.json")


def main():
    machine = dict(machine_info(), numpy_simd=numpy_simd(), widest_register=simd_report.widest_register())
    rows = simd_report.report()
    print(f"CPU: {machine['cpu']}; widest vector register: {machine['widest_register']}")
    print(f"{'kernel':20s} {'dtype':8s} {'widest':7s} {'xmm':>5s} {'ymm':>5s} {'zmm':>5s} {'scalar':>7s} {'fused':>6s} {'masked':>7s}")
    for row in rows:
        print(f"{row['kernel']:20s} {row['dtype']:8s} {row['widest'] or 'none':7s} "
              f"{row['xmm']:5d} {row['ymm']:5d} {row['zmm']:5d} {row['scalar']:7d} {row['fused']:6d} {row['masked']:7d}")
    short = [f"{r['kernel']}/{r['dtype']}" for r in rows if r["widest"] != machine["widest_register"]]
    print("narrower than the machine allows:", ", ".join(short) or "none")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as handle:
        json.dump({"machine": machine, "rows": rows}, handle, indent=1)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
