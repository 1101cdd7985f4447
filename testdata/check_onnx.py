#!/usr/bin/python3
"""Validate ONNX models: /usr/bin/python3 testdata/check_onnx.py MODEL.onnx...

For every file this does what onnx.checker.check_model(path, full_check=True)
does -- the structural checker (resolving external data next to the model)
plus strict, type-checking shape inference -- WITHOUT modifying the file:
onnx 1.12's check_model(path, full_check=True) writes the shape-inferred
model (with added value_info) back over the input file, so here the
inference result goes to a temporary file that is then discarded.

Prints "ok PATH" per valid model; on the first failure prints
"check_onnx: PATH: reason" to stderr and exits 1. Exits 2 on bad usage or
when the onnx package is missing.
"""

import os
import sys
import tempfile


def check(path):
    """Raise on an invalid model; never modifies path."""
    import onnx

    onnx.checker.check_model(path)  # path form: external data and >2GB models
    fd, tmp = tempfile.mkstemp(suffix=".onnx")
    os.close(fd)
    try:
        onnx.shape_inference.infer_shapes_path(path, tmp, check_type=True, strict_mode=True)
    finally:
        os.remove(tmp)


def main(paths):
    if not paths:
        print("usage: check_onnx.py MODEL.onnx...", file=sys.stderr)
        return 2
    try:
        import onnx  # noqa: F401
    except ImportError as e:
        print(f"check_onnx: cannot import onnx: {e}", file=sys.stderr)
        return 2
    for path in paths:
        try:
            if not os.path.isfile(path):
                raise FileNotFoundError("no such file")
            check(path)
        except Exception as e:  # checker, shape inference, I/O and protobuf errors alike
            msg = str(e).strip().replace("\n", " | ")
            print(f"check_onnx: {path}: {type(e).__name__}: {msg}", file=sys.stderr)
            return 1
        print(f"ok {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
