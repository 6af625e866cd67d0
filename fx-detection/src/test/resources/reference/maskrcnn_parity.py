"""Mask R-CNN stage by stage in torchvision 0.14.1, float64, for MaskRCNNParityTest.

Writes to OUT: state.npz (a random maskrcnn_resnet50_fpn, batch-norm statistics perturbed), images.npz,
stages.npz (transform, anchors, proposals, box outputs, detections, pasted masks) and prints a JSON summary.
"""
import json
import sys

import numpy as np
import torch
import torchvision
from torchvision.models.detection import maskrcnn_resnet50_fpn
from torchvision.models.detection.transform import GeneralizedRCNNTransform

out = sys.argv[1]
torch.manual_seed(0)
model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=7, box_score_thresh=0.0,
                              min_size=320, max_size=512)
with torch.no_grad():
    for name, buf in model.named_buffers():
        if name.endswith("running_mean"):
            buf.copy_(torch.randn_like(buf) * 0.1)
        elif name.endswith("running_var"):
            buf.copy_(torch.rand_like(buf) * 0.5 + 0.75)
model = model.double().eval()
state = {k: v.numpy() for k, v in model.state_dict().items()}
np.savez(f"{out}/state.npz", **state)

g = torch.Generator().manual_seed(1)
images = [torch.rand(3, 301, 457, generator=g, dtype=torch.float64),
          torch.rand(3, 240, 200, generator=g, dtype=torch.float64)]
np.savez(f"{out}/images.npz", **{str(i): im.numpy() for i, im in enumerate(images)})

s = {}
with torch.no_grad():
    il, _ = model.transform(images)
    s["batch"] = il.tensors
    feats = model.backbone(il.tensors)
    for k in ("3", "pool"):
        s["feature." + k] = feats[k]
    anchors = model.rpn.anchor_generator(il, list(feats.values()))
    s["anchors"] = anchors[0]
    proposals, _ = model.rpn(il, feats)
    for i, p in enumerate(proposals):
        s[f"proposals.{i}"] = p
    rh = model.roi_heads
    pooled = rh.box_roi_pool(feats, proposals, il.image_sizes)
    s["box_pooled_head"] = pooled[:40]
    logits, deltas = rh.box_predictor(rh.box_head(pooled))
    s["class_logits"] = logits
    s["box_regression"] = deltas
    dets, _ = rh(feats, proposals, il.image_sizes)
    for i, d in enumerate(dets):
        for k in ("boxes", "labels", "scores", "masks"):
            s[f"detections.{i}.{k}"] = d[k]
    final = model.transform.postprocess(dets, il.image_sizes, [im.shape[-2:] for im in images])
    for i, d in enumerate(final):
        s[f"final.{i}.boxes"] = d["boxes"]
        s[f"final.{i}.masks_head"] = d["masks"][:8]
        s[f"final.{i}.mask_area"] = (d["masks"] > 0.5).sum(dim=(1, 2, 3))
np.savez(f"{out}/stages.npz", **{k: v.numpy() for k, v in s.items()})

sizes = {}
for h, w in [(480, 640), (301, 457), (1000, 300), (800, 1333), (17, 4000), (333, 333), (799, 1201)]:
    t = GeneralizedRCNNTransform(800, 1333, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    il, _ = t([torch.zeros(3, h, w)])
    sizes[f"{h}x{w}"] = [list(il.image_sizes[0]), list(il.tensors.shape[-2:])]
from torchvision.models import resnet50
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d
# The pretrained checkpoints' layout: FrozenBatchNorm2d (no num_batches_tracked), 3 trainable stages.
frozen = MaskRCNN(_resnet_fpn_extractor(resnet50(norm_layer=FrozenBatchNorm2d), 3), num_classes=91)
frozen_trainable = [k for k, p in frozen.named_parameters() if p.requires_grad]
from torchvision.models.detection import fasterrcnn_resnet50_fpn
faster_keys = list(fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91).state_dict().keys())
print(json.dumps({"keys": list(state.keys()), "resize": sizes,
                  "frozen_keys": list(frozen.state_dict().keys()), "frozen_trainable": frozen_trainable,
                  "faster_keys": faster_keys,
                  "detections": [int(d["boxes"].shape[0]) for d in dets],
                  "proposals": [int(p.shape[0]) for p in proposals]}))
