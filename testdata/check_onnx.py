#!/usr/bin/python3
"""Validate ONNX models: /usr/bin/python3 testdata/check_onnx.py MODEL.onnx...

Runs onnx.checker.check_model(full_check=True) (which includes strict shape
inference) on every file, passing the path so that external data next to the
model is resolved. Prints "ok PATH" per valid model; on the first failure
prints "check_onnx: PATH: reason" to stderr and exits 1. Exits 2 on bad usage
or when the onnx package is missing.
"""

import sys


def main(paths):
    if not paths:
        print("usage: check_onnx.py MODEL.onnx...", file=sys.stderr)
        return 2
    try:
        import onnx
    except ImportError as e:
        print(f"check_onnx: cannot import onnx: {e}", file=sys.stderr)
        return 2
    for path in paths:
        try:
            onnx.checker.check_model(path, full_check=True)
        except Exception as e:  # checker, shape inference, I/O and protobuf errors alike
            msg = str(e).strip().replace("\n", " | ")
            print(f"check_onnx: {path}: {type(e).__name__}: {msg}", file=sys.stderr)
            return 1
        print(f"ok {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
