"""Writes checkpoint fixtures with torch 1.13 for fx4j's tests.

usage: checkpoint_fixtures.py dtypes OUTDIR
Writes dtypes.pth (zip), dtypes_legacy.pth (legacy), nested.pth ({"model": {"module.<k>": ...}, "epoch": 3}),
evil.pth (a pickle that would run os.system) and expected.npz (every tensor as float64).
"""
import collections
import os
import sys

import numpy as np
import torch

out = sys.argv[2]
torch.manual_seed(0)
base = torch.randn(4, 6)
sd = collections.OrderedDict()
sd["f32"] = torch.randn(2, 3)
sd["f16"] = torch.randn(3, 2).half()
sd["bf16"] = torch.randn(5).bfloat16()
sd["f64"] = torch.randn(2, 2).double()
sd["i64"] = torch.arange(-3, 3, dtype=torch.int64).reshape(2, 3)
sd["i32"] = torch.arange(7, dtype=torch.int32)
sd["u8"] = torch.arange(250, 256, dtype=torch.uint8)
sd["bool"] = torch.tensor([True, False, True])
sd["scalar"] = torch.tensor(7, dtype=torch.int64)
sd["base"] = base
sd["transposed"] = base.t()            # shares base's storage, strided
sd["offset_rows"] = base[1:3]          # shares base's storage, storage offset 6
sd["column"] = base[:, 2]              # offset 2, stride 6
sd["empty"] = torch.zeros(0, 3)
torch.save(sd, os.path.join(out, "dtypes.pth"))
torch.save(sd, os.path.join(out, "dtypes_legacy.pth"), _use_new_zipfile_serialization=False)
torch.save({"model": collections.OrderedDict(("module." + k, v) for k, v in sd.items()), "epoch": 3},
           os.path.join(out, "nested.pth"))
np.savez(os.path.join(out, "expected.npz"), **{k: v.float().double().numpy() if v.dtype == torch.bfloat16
                                               else v.double().numpy() for k, v in sd.items()})


class Evil:
    def __reduce__(self):
        return (os.system, ("echo fx4j-pwned > " + os.path.join(out, "pwned.txt"),))


torch.save({"x": torch.zeros(1), "payload": Evil()}, os.path.join(out, "evil.pth"))
