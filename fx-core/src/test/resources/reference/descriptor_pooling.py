"""Pooling and normalisation references for fx4j's descriptors, in float64.

usage: descriptor_pooling.py IN.npy OUT_DIR
Writes avg.npy, max.npy, gem3.npy, gem1_5.npy (adaptive pooling to 1x1, GeM as in Radenovic et al.:
avg_pool2d(x.clamp(min=1e-6) ** p, (H, W)) ** (1 / p)) and normalized.npy (F.normalize(gem3, dim=1)).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

x = torch.from_numpy(np.load(sys.argv[1]))
out = sys.argv[2]


def gem(t, p, eps=1e-6):
    return F.avg_pool2d(t.clamp(min=eps).pow(p), (t.size(-2), t.size(-1))).pow(1.0 / p).flatten(1)


results = {
    "avg": F.adaptive_avg_pool2d(x, 1).flatten(1),
    "max": F.adaptive_max_pool2d(x, 1).flatten(1),
    "gem3": gem(x, 3.0),
    "gem1_5": gem(x, 1.5),
}
results["normalized"] = F.normalize(results["gem3"], p=2.0, dim=1)
for name, value in results.items():
    np.save(os.path.join(out, name + ".npy"), value.numpy())
print("ok")
