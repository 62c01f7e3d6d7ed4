"""Make the README's figures in docs/: python docs/make_figures.py

- docs/tape.png and docs/gradient_flow.png: the README's Python blocks that save a PNG, run
  as they stand (each in a fresh interpreter) with docs/ as the working directory, so the
  figure is exactly what the snippet makes;
- docs/vanishing_gradients.png: examples/vanishing_gradients.py (its full run, ~5 s) with its
  output in docs/ at a lower resolution.
Each PNG is then reduced to a 64-colour palette to stay small (< 150 KB).
Needs the `examples` and `viz` extras and Graphviz's `dot`.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
FIGURE_SNIPPET = re.compile(r"[\"'](\w+\.png)[\"']")


def readme_blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        return re.findall(r"^```python\n(.*?)^```", file.read(), re.S | re.M)


def shrink(path, colours=64):
    """Re-save a PNG with an adaptive palette (the plots use few colours)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main():
    made = []
    for block in readme_blocks():
        names = FIGURE_SNIPPET.findall(block)
        if not names:
            continue
        subprocess.run([sys.executable, "-c", block], cwd=DOCS, check=True, stdout=subprocess.DEVNULL)
        made += [os.path.join(DOCS, name) for name in names]

    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import _common

    _common.OUTPUT_DIR, _common.DPI = DOCS, 80
    import vanishing_gradients

    vanishing_gradients.main()
    made.append(os.path.join(DOCS, "vanishing_gradients.png"))

    for path in made:
        shrink(path)
        print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
