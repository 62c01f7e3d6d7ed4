"""Small helpers shared by the examples: where plots go, a progress bar, argument parsing,
and a clear message when the `examples` extra is not installed."""
import argparse
import importlib
import os
import sys

OUTPUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
#: resolution of the saved PNGs (docs/make_figures.py lowers it for the README's small copies).
DPI = 110

#: import name -> what pip installs (all three are in the project's `examples` extra).
EXTRA_PACKAGES = {"sklearn": "scikit-learn", "matplotlib": "matplotlib", "tqdm": "tqdm"}


class MissingExtra(ModuleNotFoundError):
    """An example needs a package from the `examples` extra that is not installed."""


def require(*modules):
    """Import-check `modules`; raise MissingExtra naming what to install if any is missing."""
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        packages = ", ".join(EXTRA_PACKAGES.get(m, m) for m in missing)
        raise MissingExtra(
            f"This example needs {packages}, which {'is' if len(missing) == 1 else 'are'} not installed. "
            "Install the examples' dependencies (scikit-learn, matplotlib, tqdm) with\n"
            "    pip install -e \".[examples]\"\n"
            "from the repository root (or pip install " + " ".join(EXTRA_PACKAGES.get(m, m) for m in missing) + ").",
            name=missing[0],
        )


def parse_args(description, needs=()):
    """Every example accepts --quick (few steps, used by the smoke tests), --no-plot and --output DIR.

    `needs`: the modules the script needs besides matplotlib (needed unless --no-plot),
    checked before anything runs, so a missing extra is one clear message, not a traceback."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="run a few steps only (smoke test)")
    parser.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    parser.add_argument("--output", metavar="DIR", help="where the PNGs go (default: examples/output)")
    args = parser.parse_args()
    if args.output:
        global OUTPUT_DIR
        OUTPUT_DIR = os.path.abspath(args.output)
    try:
        require(*needs, *(() if args.no_plot else ("matplotlib",)))
    except MissingExtra as error:
        sys.exit(str(error))
    return args


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
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def pyplot():
    """matplotlib's pyplot with a file-only backend (no screen needed)."""
    require("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
