"""Every elementwise kernel's loop is vectorized (packed arithmetic on the machine's vector registers).

The exceptions are stated in scalar_math/activations: float64 gelu (erf form) calls libm's erfc,
and erf calls libm's erf, once per element -- there is no float64 polynomial for them.
"""
import pytest

from autograd_core.kernels import scalar_math, simd_report

LIBM_PER_ELEMENT = {("gelu_forward", "float64"), ("gelu_backward", "float64"),
                    ("erf", "float32"), ("erf", "float64")}
ROWS = simd_report.report()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['kernel']}-{r['dtype']}" for r in ROWS])
def test_loop_is_vectorized_at_least_256_bits_wide(row):
    widest_here = simd_report.widest_register()
    if (row["kernel"], row["dtype"]) in LIBM_PER_ELEMENT:
        assert row["widest"] is None, "now vectorized: take it off the libm list"
        return
    if widest_here == "xmm":
        assert row["xmm"] > 0, row
    else:  # AVX2 or AVX-512: at least ymm (whether LLVM chooses zmm on AVX-512 is reported by benchmarks/simd.py)
        assert row["widest"] in ("ymm", "zmm"), row


# The kernels whose work is scalar_math's exp family: their multiply-adds fuse (scalar_math.FUSED).
FUSED_KERNELS = {"elu_forward", "elu_backward", "sigmoid_forward", "tanh_forward", "gelu_forward",
                 "gelu_backward", "gelu_tanh_forward", "gelu_tanh_backward", "softplus_forward",
                 "softplus_backward"}


@pytest.mark.parametrize("row", [r for r in ROWS if r["kernel"] in FUSED_KERNELS and r["widest"]],
                         ids=lambda r: f"{r['kernel']}-{r['dtype']}")
def test_exp_family_loops_use_fused_multiply_adds_where_the_cpu_has_them(row):
    if not scalar_math.host_has_fma():
        pytest.skip("this CPU has no FMA instructions")
    assert row["fused"] >= 5, row  # the polynomial alone has 6 or more multiply-adds


@pytest.mark.parametrize("row", [r for r in ROWS if r["widest"]], ids=lambda r: f"{r['kernel']}-{r['dtype']}")
def test_loops_read_every_operand_with_plain_loads(row):
    # A read made only under a condition compiles to masked loads (vmaskmovps), which made relu's
    # memory-bound backward ~20% slower on an AVX2 machine: kernels read their operands unconditionally.
    assert row["masked"] == 0, row
