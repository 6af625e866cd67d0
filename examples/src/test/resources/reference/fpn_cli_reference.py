"""torchvision's FPN backbones in float32 for `fx extract MODEL --fpn` to match.

usage: fpn_cli_reference.py OUT_DIR MODEL...
For each MODEL (resnet18, resnet50: resnet_fpn_backbone; mobilenet_v3_large: mobilenet_backbone(fpn=True))
writes OUT_DIR/MODEL_fpn.pth (torch.save of its state dict: frozen batch-norm statistics and FPN biases
made non-trivial) and OUT_DIR/MODEL_ref_<level>.npy per output level; for the first MODEL also
OUT_DIR/maskrcnn_like.pth ({"model": {"backbone." + key: ..., "rpn.head.conv.0.0.weight": ...}}, as a
detection checkpoint holds it). OUT_DIR/x.npy (float32, 1x3x96x136) is the input.
"""
import os
import sys
import warnings

import numpy as np
import torch
from torchvision.models.detection.backbone_utils import mobilenet_backbone, resnet_fpn_backbone
from torchvision.ops.misc import FrozenBatchNorm2d

warnings.filterwarnings("ignore")
torch.manual_seed(0)
out = sys.argv[1]
x = torch.randn(1, 3, 96, 136)
np.save(os.path.join(out, "x.npy"), x.numpy())
for i, name in enumerate(sys.argv[2:]):
    if name.startswith("mobilenet"):
        m = mobilenet_backbone(backbone_name=name, weights=None, fpn=True).eval()
    else:
        m = resnet_fpn_backbone(backbone_name=name, weights=None).eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, FrozenBatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
        for p_name, p in m.fpn.named_parameters():
            if p_name.endswith("bias"):
                p.uniform_(-0.3, 0.3)
    torch.save(m.state_dict(), os.path.join(out, name + "_fpn.pth"))
    if i == 0:
        detection = {"backbone." + k: v for k, v in m.state_dict().items()}
        detection["rpn.head.conv.0.0.weight"] = torch.zeros(256, 256, 3, 3)
        torch.save({"model": detection, "epoch": 3}, os.path.join(out, "maskrcnn_like.pth"))
    with torch.no_grad():
        y = m(x)
    for k, v in y.items():
        np.save(os.path.join(out, name + "_ref_" + k + ".npy"), v.numpy())
