"""Mask R-CNN's training losses and gradients in torchvision 0.14.1, float64, for MaskRCNNTrainingParityTest.

Samplers take every candidate (batch sizes above the candidate counts, positive fraction 1), so the
losses do not depend on random draws. Writes to OUT: state.npz (the model before the forward; batch
norms in training mode update their statistics), inputs.npz (images and targets), losses.npz and
grads.npz (every trainable parameter's gradient of the summed losses), and prints a JSON summary.
"""
import json
import sys

import numpy as np
import torch
from torchvision.models.detection import maskrcnn_resnet50_fpn

out = sys.argv[1]
torch.manual_seed(0)
ALL = 10_000_000
model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=7, min_size=320, max_size=512,
                              rpn_batch_size_per_image=ALL, rpn_positive_fraction=1.0,
                              box_batch_size_per_image=ALL, box_positive_fraction=1.0)
model = model.double().train()
np.savez(f"{out}/state.npz", **{k: v.numpy() for k, v in model.state_dict().items()})

g = torch.Generator().manual_seed(1)
images = [torch.rand(3, 301, 457, generator=g, dtype=torch.float64),
          torch.rand(3, 240, 200, generator=g, dtype=torch.float64)]


def target(h, w, boxes, labels):
    masks = torch.zeros(len(boxes), h, w, dtype=torch.uint8)
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        # an ellipse inside each box, so the mask is not the box
        yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64),
                                indexing="ij")
        cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
        masks[k] = (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1).to(torch.uint8)
    return {"boxes": torch.tensor(boxes, dtype=torch.float64).reshape(-1, 4),
            "labels": torch.tensor(labels, dtype=torch.int64), "masks": masks}


targets = [target(301, 457, [[20.5, 30.0, 180.0, 200.25], [150.0, 40.0, 420.0, 290.0], [300.0, 10.0, 330.0, 60.0]],
                  [1, 4, 6]),
           target(240, 200, [], [])]  # an image without objects
inputs = {}
for i, (im, t) in enumerate(zip(images, targets)):
    inputs[f"image.{i}"] = im.numpy()
    for k, v in t.items():
        inputs[f"target.{i}.{k}"] = v.numpy()
np.savez(f"{out}/inputs.npz", **inputs)

losses = model(images, targets)
total = sum(losses.values())
total.backward()
np.savez(f"{out}/losses.npz", **{k: v.detach().numpy() for k, v in losses.items()})
grads = {k: p.grad.numpy() for k, p in model.named_parameters() if p.requires_grad and p.grad is not None}
np.savez(f"{out}/grads.npz", **grads)
print(json.dumps({"losses": {k: float(v) for k, v in losses.items()}, "order": list(losses.keys()),
                  "trainable": [k for k, p in model.named_parameters() if p.requires_grad],
                  "with_grad": list(grads.keys())}))
