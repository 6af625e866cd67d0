"""torchvision's FeaturePyramidNetwork in float64, with weights and inputs for fx4j to compare against.

usage: fpn_parity.py OUT_DIR
Writes OUT_DIR/<case>_state.npz (state dict, float64, non-zero biases and batch-norm statistics),
OUT_DIR/<case>_inputs.npz (the levels '0'..'3', float64, odd sizes) and OUT_DIR/<case>_outputs.npz
(the pyramid's outputs by name), for each case below, and prints the cases as JSON.
"""
import json
import os
import sys

import numpy as np
import torch
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
out_dir = sys.argv[1]
IN = [8, 16, 32, 64]
SIZES = [(50, 67), (25, 34), (13, 17), (7, 9)]  # odd, not all halves: 13 -> 25, 7 -> 13, 17 -> 34
CASES = {
    "maxpool": dict(extra=lambda: LastLevelMaxPool(), norm=None),
    "p6p7_from_c5": dict(extra=lambda: LastLevelP6P7(64, 16), norm=None),
    "p6p7_from_p5": dict(extra=lambda: LastLevelP6P7(16, 16), norm=None),
    "none_batchnorm": dict(extra=lambda: None, norm=torch.nn.BatchNorm2d),
}
summary = {}
for name, c in CASES.items():
    fpn = FeaturePyramidNetwork(IN, 16, extra_blocks=c["extra"](), norm_layer=c["norm"])
    with torch.no_grad():
        for p_name, p in fpn.named_parameters():
            if p_name.endswith("bias"):
                p.uniform_(-0.5, 0.5)
        for m in fpn.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)
    fpn.eval()
    x = {str(i): torch.randn(2, IN[i], h, w) for i, (h, w) in enumerate(SIZES)}
    with torch.no_grad():
        y = fpn(x)
    np.savez(os.path.join(out_dir, name + "_state.npz"), **{k: v.numpy() for k, v in fpn.state_dict().items()})
    np.savez(os.path.join(out_dir, name + "_inputs.npz"), **{k: v.numpy() for k, v in x.items()})
    np.savez(os.path.join(out_dir, name + "_outputs.npz"), **{k: v.numpy() for k, v in y.items()})
    summary[name] = {"keys": list(fpn.state_dict().keys()), "outputs": {k: list(v.shape) for k, v in y.items()}}
print(json.dumps(summary))
