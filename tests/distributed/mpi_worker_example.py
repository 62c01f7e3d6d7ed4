"""Run by test_distributed_example.py: examples/distributed_digits.py --quick, its output in argv[1]."""
import json
import os
import sys

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")
sys.path.insert(0, EXAMPLES)

import _common  # noqa: E402

_common.OUTPUT_DIR = sys.argv[1]
import distributed_digits  # noqa: E402

result = distributed_digits.main(quick=True)
with open(os.path.join(sys.argv[1], f"result{result['rank']}.json"), "w") as handle:
    json.dump(result, handle)
