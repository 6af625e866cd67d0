"""torchvision's resnet_fpn_backbone in float64, for fx4j to compare against.

usage: backbone_parity.py OUT_DIR NAME...
For each NAME (resnet18, resnet50, ...): resnet_fpn_backbone(backbone_name=NAME, weights=None) with its
defaults (FrozenBatchNorm2d, trainable_layers=3, layers 1..4, LastLevelMaxPool); for mobilenet_v2 /
mobilenet_v3_large / mobilenet_v3_small (":nofpn" appended: fpn=False) mobilenet_backbone with its
defaults (trainable_layers=2, the last two stages); frozen batch-norm statistics and the biases of the
layers put on top made non-trivial. Writes OUT_DIR/NAME_state.npz, NAME_input.npz (x, float64,
1x3x75x101: levels 19x26, 10x13, 5x7, 3x4, so the top-down path upsamples 3 -> 5, 5 -> 10, 10 -> 19) and NAME_outputs.npz, and prints JSON: per name its
state-dict keys, the names of parameters that do not require grad, and get_graph_node_names; plus
torchvision's error messages for bad arguments.
"""
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch_fx_py311  # noqa: F401  (before tracing: torch.fx on Python 3.11)
from torchvision.models.detection.backbone_utils import mobilenet_backbone, resnet_fpn_backbone
from torchvision.models.feature_extraction import get_graph_node_names
from torchvision.ops.misc import FrozenBatchNorm2d

warnings.filterwarnings("ignore")
torch.manual_seed(0)
out_dir = sys.argv[1]
summary = {}
for name in sys.argv[2:]:
    if name.startswith("mobilenet"):  # NAME or NAME:nofpn
        m = mobilenet_backbone(backbone_name=name.split(":")[0], weights=None, fpn=not name.endswith(":nofpn"))
    else:
        m = resnet_fpn_backbone(backbone_name=name, weights=None)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, FrozenBatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
        for p_name, p in m.named_parameters():
            if p_name.endswith("bias") and (p_name.startswith("fpn.") or p_name.startswith("1.")):
                p.uniform_(-0.3, 0.3)
    train, eval_ = get_graph_node_names(m)
    m = m.double().eval()
    x = torch.randn(1, 3, 75, 101, dtype=torch.float64)
    with torch.no_grad():
        y = m(x)
    if not isinstance(y, dict):
        y = {"out": y}
    np.savez(os.path.join(out_dir, name + "_state.npz"), **{k: v.numpy() for k, v in m.state_dict().items()})
    np.savez(os.path.join(out_dir, name + "_input.npz"), x=x.numpy())
    np.savez(os.path.join(out_dir, name + "_outputs.npz"), **{k: v.numpy() for k, v in y.items()})
    summary[name] = {
        "keys": list(m.state_dict().keys()),
        "frozen": [k for k, p in m.named_parameters() if not p.requires_grad],
        "train": train,
        "eval": eval_,
    }
errors = {}
for label, kwargs in [("trainable6", dict(trainable_layers=6)), ("returned05", dict(returned_layers=[0, 5]))]:
    try:
        resnet_fpn_backbone(backbone_name="resnet18", weights=None, **kwargs)
    except ValueError as e:
        errors[label] = str(e)
summary["errors"] = errors
print(json.dumps(summary))
