"""Small helpers shared by the examples: where plots go, a progress bar, argument parsing."""
import argparse
import os

OUTPUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")


def parse_args(description):
    """Every example accepts --quick (few steps, used by the smoke tests) and --no-plot."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="run a few steps only (smoke test)")
    parser.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    return parser.parse_args()


def progress(iterable, **kwargs):
    """tqdm if it is installed (the `examples` extra), else the plain iterable."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the examples extra
        return iterable
    return tqdm(iterable, **kwargs)


def save_figure(figure, name):
    """Save a matplotlib figure as examples/output/<name>.png and return the path."""
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    path = os.path.join(OUTPUT_DIR, name + ".png")
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path


def pyplot():
    """matplotlib's pyplot with a file-only backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
