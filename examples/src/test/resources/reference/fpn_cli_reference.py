"""torchvision's resnet_fpn_backbone('resnet18') in float32 for `fx extract resnet18 --fpn` to match.

usage: fpn_cli_reference.py OUT_DIR
Writes OUT_DIR/r18fpn.pth (torch.save of its state dict: frozen batch-norm statistics and FPN biases
made non-trivial), OUT_DIR/maskrcnn_like.pth ({"model": {"backbone." + key: ..., "rpn.head.conv.weight":
...}}, as a detection checkpoint holds it), OUT_DIR/x.npy (float32, 1x3x96x136) and
OUT_DIR/ref_<level>.npy for the levels 0, 1, 2, 3 and pool.
"""
import os
import sys
import warnings

import numpy as np
import torch
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops.misc import FrozenBatchNorm2d

warnings.filterwarnings("ignore")
torch.manual_seed(0)
out = sys.argv[1]
m = resnet_fpn_backbone(backbone_name="resnet18", weights=None).eval()
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, FrozenBatchNorm2d):
            mod.weight.uniform_(0.5, 1.5)
            mod.bias.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 2.0)
    for name, p in m.fpn.named_parameters():
        if name.endswith("bias"):
            p.uniform_(-0.3, 0.3)
torch.save(m.state_dict(), os.path.join(out, "r18fpn.pth"))
detection = {"backbone." + k: v for k, v in m.state_dict().items()}
detection["rpn.head.conv.0.0.weight"] = torch.zeros(256, 256, 3, 3)
torch.save({"model": detection, "epoch": 3}, os.path.join(out, "maskrcnn_like.pth"))
x = torch.randn(1, 3, 96, 136)
np.save(os.path.join(out, "x.npy"), x.numpy())
with torch.no_grad():
    y = m(x)
for k, v in y.items():
    np.save(os.path.join(out, "ref_" + k + ".npy"), v.numpy())
