"""torchvision 0.14.1 maskrcnn_resnet50_fpn on images, for FxDetectTest.

Writes OUT/maskrcnn.pth (a random maskrcnn_resnet50_fpn state dict, batch-norm statistics calibrated on
random images, torch.save), OUT/images/a.png (301x457) and b.png (200x260, grey), and prints torchvision's detections
(box_score_thresh=0) as JSON: {"a.png": [{"box", "label", "score", "mask_area"}, ...], ...}.
"""
import json
import math
import os
import sys

import torch
from torchvision.io import ImageReadMode, read_image, write_png
from torchvision.models.detection import maskrcnn_resnet50_fpn

out = sys.argv[1]
torch.manual_seed(0)
model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91, box_score_thresh=0.0)
with torch.no_grad():
    for name, buf in model.named_buffers():
        if name.endswith("running_mean"):
            buf.copy_(torch.randn_like(buf) * 0.1)
        elif name.endswith("running_var"):
            buf.copy_(torch.rand_like(buf) * 0.5 + 0.75)
# Calibrate the batch-norm statistics on a few random images (cumulative averages), so that activations keep a
# realistic scale through ResNet-50 and the random heads give boxes of real sizes rather than sub-pixel slivers.
for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.reset_running_stats()
        m.momentum = None
model.backbone.train()
with torch.no_grad():
    g0 = torch.Generator().manual_seed(7)
    for _ in range(4):
        model.backbone(torch.rand(2, 3, 256, 320, generator=g0) * 4 - 2)
model.eval()
torch.save(model.state_dict(), f"{out}/maskrcnn.pth")


def picture(h, w, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.linspace(0, 1, h)[:, None].expand(h, w)
    x = torch.linspace(0, 1, w)[None, :].expand(h, w)
    img = torch.stack([0.5 + 0.4 * torch.sin(6 * x + 3 * y), 0.5 + 0.4 * torch.cos(5 * y), x * y])
    for _ in range(6):  # filled discs and rectangles
        cy, cx, r = torch.rand(3, generator=g).tolist()
        colour = torch.rand(3, 1, generator=g)
        disc = ((y - cy) ** 2 + (x - cx) ** 2) < (0.05 + 0.15 * r) ** 2
        img = torch.where(disc[None], colour[:, :, None].expand(3, h, w), img)
    return (img.clamp(0, 1) * 255).round().to(torch.uint8)


os.makedirs(f"{out}/images", exist_ok=True)
write_png(picture(301, 457, 1), f"{out}/images/a.png")
write_png(picture(200, 260, 2)[:1], f"{out}/images/b.png")
result = {}
with torch.no_grad():
    for name in ("a.png", "b.png"):
        img = read_image(f"{out}/images/{name}", ImageReadMode.RGB).float() / 255
        d = model([img])[0]
        area = (d["masks"] > 0.5).sum(dim=(1, 2, 3))
        result[name] = [{"box": b.tolist(), "label": int(l), "score": float(s), "mask_area": int(a)}
                        for b, l, s, a in zip(d["boxes"], d["labels"], d["scores"], area)]
print(json.dumps(result))
