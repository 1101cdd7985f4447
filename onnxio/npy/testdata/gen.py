#!/usr/bin/python3
"""Regenerate the committed .npy fixtures: cd onnxio/npy/testdata && /usr/bin/python3 gen.py

Files are written by NumPy itself (np.save / np.lib.format.write_array), so the
Go reader is tested against the reference writer. Values are chosen so that the
Go tests can recompute them exactly.
"""
import numpy as np
from numpy.lib import format as npf


def save(name, arr, version=None):
    with open(name, "wb") as f:
        npf.write_array(f, arr, version=version, allow_pickle=False)


base = (np.arange(6).reshape(2, 3) * 0.5 - 1)             # -1, -0.5, 0, 0.5, 1, 1.5
save("f4_2x3.npy", base.astype("<f4"))
save("f8_2x3.npy", (np.arange(6).reshape(2, 3) * 0.1).astype("<f8"))  # float32(0.1*i) expected
save("i8_5.npy", np.array([-2, -1, 0, 1, 1 << 40], dtype="<i8"))
save("i4_2x2.npy", np.array([[-7, 0], [7, 2147483647]], dtype="<i4"))
save("u1_3x4.npy", np.arange(12, dtype=np.uint8).reshape(3, 4) * 20)  # 0..220
save("i1_4.npy", np.array([-128, -1, 0, 127], dtype="i1"))
save("f4_scalar.npy", np.array(3.25, dtype="<f4"))
save("f4_0x3.npy", np.zeros((0, 3), dtype="<f4"))
save("f4_2x3x2x2.npy", (np.arange(24).reshape(2, 3, 2, 2) - 12).astype("<f4"))
save("f4_2x3_v2.npy", base.astype("<f4"), version=(2, 0))
save("f4_2x3_v3.npy", base.astype("<f4"), version=(3, 0))
# Unsupported inputs: each must give a clear error.
save("f4_2x3_fortran.npy", np.asfortranarray(base.astype("<f4")))
save("f4_2x3_bigendian.npy", base.astype(">f4"))
save("c8_2.npy", np.array([1 + 2j, 3 - 4j], dtype="<c8"))
save("structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
with open("f4_2x3.npy", "rb") as f:
    whole = f.read()
with open("f4_2x3_truncated.npy", "wb") as f:
    f.write(whole[:-3])
