"""torchvision 0.14.1 ops on random and edge-case inputs, for OpsParityTest.

Writes OUT/cases.npz (inputs) and OUT/expected.npz (outputs), float64 unless a case says float32.
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import box_iou, batched_nms, clip_boxes_to_image, nms, remove_small_boxes, roi_align
from torchvision.models.detection.roi_heads import paste_masks_in_image

out = sys.argv[1]
g = torch.Generator().manual_seed(0)
cases, expected = {}, {}


def boxes_in(n, w, h, dtype=torch.float64):
    xy = torch.rand(n, 2, generator=g, dtype=dtype) * torch.tensor([w, h], dtype=dtype)
    wh = torch.rand(n, 2, generator=g, dtype=dtype) * torch.tensor([w, h], dtype=dtype) * 0.5
    return torch.cat([xy, xy + wh], 1)


# roi_align: random boxes, boxes partly and wholly outside, zero-size, tiny, no boxes; both batch images
feat = torch.randn(2, 5, 13, 17, generator=g, dtype=torch.float64)
cases["roi.input"] = feat
special = torch.tensor([
    [0, -20.0, -20.0, -10.0, -10.0],   # wholly outside (top-left)
    [1, 60.0, 40.0, 90.0, 70.0],       # wholly outside (bottom-right), scale 0.25 -> map 15..22
    [0, -5.0, -3.0, 20.0, 18.0],       # partly outside
    [1, 40.0, 30.0, 80.0, 60.0],       # partly outside right/bottom
    [0, 10.0, 10.0, 10.0, 10.0],       # zero size
    [1, 3.3, 7.1, 3.4, 7.15],          # tiny
    [0, 0.0, 0.0, 68.0, 52.0],         # the whole map
    [1, 66.0, 50.0, 67.9, 51.9],       # the last pixel
], dtype=torch.float64)
rand = torch.cat([torch.randint(0, 2, (30, 1), generator=g).double(), boxes_in(30, 68, 52)], 1)
rois = torch.cat([special, rand])
cases["roi.rois"] = rois
for aligned in (False, True):
    for sr in (2, 0, 1):
        for size in ((7, 7), (3, 5)):
            key = f"roi.out.{aligned}.{sr}.{size[0]}x{size[1]}"
            expected[key] = roi_align(feat, rois, size, spatial_scale=0.25, sampling_ratio=sr, aligned=aligned)
# adaptive grids over many large boxes: more weights than one sparse product holds (chunked)
big = torch.randn(1, 2, 200, 272, generator=g, dtype=torch.float64)
big_rois = torch.cat([torch.zeros(60, 1, dtype=torch.float64), boxes_in(60, 272, 200) * 0.1
                      + torch.tensor([0.0, 0.0, 250.0, 185.0], dtype=torch.float64)], 1)  # ~250x185: ~180k weights each
cases["roi.big.input"], cases["roi.big.rois"] = big, big_rois
expected["roi.big"] = roi_align(big, big_rois, (7, 7), 1.0, 0)
expected["roi.empty"] = roi_align(feat, rois[:0], (7, 7), 0.25, 2)
feat32 = feat.float()
expected["roi.float32"] = roi_align(feat32, rois.float(), (7, 7), 0.25, 2)
# gradient of sum(out * w) with respect to the input
fg = feat.clone().requires_grad_(True)
o = roi_align(fg, rois, (7, 7), 0.25, 2)
wgt = torch.randn(o.shape, generator=g, dtype=torch.float64)
cases["roi.grad_weight"] = wgt
(o * wgt).sum().backward()
expected["roi.grad"] = fg.grad

# nms / batched_nms: random, ties, identical boxes, both batched strategies
b = boxes_in(200, 100, 80)
s = torch.rand(200, generator=g, dtype=torch.float64)
s[10:20] = 0.5  # ties
b[30] = b[31]   # identical boxes
cases["nms.boxes"], cases["nms.scores"] = b, s
cls = torch.randint(0, 4, (200,), generator=g)
cases["nms.idxs"] = cls
for t in (0.3, 0.5, 0.7):
    expected[f"nms.{t}"] = nms(b, s, t)
    expected[f"batched.{t}"] = batched_nms(b, s, cls, t)
b32, s32 = b.float(), s.float()
expected["nms.float32"] = nms(b32, s32, 0.5)
bb = boxes_in(1500, 300, 200)   # numel > 4000: per-class strategy
sb = torch.rand(1500, generator=g, dtype=torch.float64)
cb = torch.randint(0, 7, (1500,), generator=g)
cases["bnms.boxes"], cases["bnms.scores"], cases["bnms.idxs"] = bb, sb, cb
expected["bnms.0.5"] = batched_nms(bb, sb, cb, 0.5)
expected["bnms.float32.0.5"] = batched_nms(bb.float(), sb.float(), cb, 0.5)
# degenerate boxes (empty, inverted, touching, identical) at thresholds 0 and 0.5
db = torch.tensor([[0, 0, 10, 10], [5, 5, 5, 9], [10, 0, 20, 10], [0, 0, 10, 10], [8, 8, 2, 2], [0, 0, 0, 0],
                   [1, 1, 9, 9], [0, 0, 0, 0], [9.5, 9.5, 30, 30]], dtype=torch.float64)
ds = torch.tensor([0.9, 0.95, 0.8, 0.7, 0.99, 0.6, 0.85, 0.5, 0.75], dtype=torch.float64)
cases["degenerate.boxes"], cases["degenerate.scores"] = db, ds
# non-finite coordinates and scores (NaN, +-inf, -0.0 vs 0.0 ties), both batching strategies
nb = boxes_in(1100, 60, 50)
nb[3, 0] = float("nan")
nb[8, 2] = float("inf")
nb[9, 0] = float("-inf")
nb[12] = float("inf")
ns = torch.rand(1100, generator=g, dtype=torch.float64)
ns[20], ns[21], ns[22], ns[23] = float("nan"), float("inf"), 0.0, -0.0
ns[24], ns[25] = -0.0, 0.0
nc = torch.randint(0, 3, (1100,), generator=g)
cases["nonfinite.boxes"], cases["nonfinite.scores"], cases["nonfinite.idxs"] = nb, ns, nc
expected["nonfinite.nms"] = nms(nb, ns, 0.5)
expected["nonfinite.nms.float32"] = nms(nb.float(), ns.float(), 0.5)
expected["nonfinite.batched"] = batched_nms(nb, ns, nc, 0.5)          # per-class path (4400 coordinates)
expected["nonfinite.batched.small"] = batched_nms(nb[:200], ns[:200], nc[:200], 0.5)  # coordinate trick
for t in (0.0, 0.5):
    expected[f"degenerate.{t}"] = nms(db, ds, t)
    expected[f"degenerate.float32.{t}"] = nms(db.float(), ds.float(), t)

# box ops
b1, b2 = boxes_in(20, 50, 40), boxes_in(30, 50, 40)
b2[0] = b1[0]
cases["iou.a"], cases["iou.b"] = b1, b2
expected["iou"] = box_iou(b1, b2)
wild = torch.randn(40, 4, generator=g, dtype=torch.float64) * 60 + 20
cases["clip.boxes"] = wild
expected["clip"] = clip_boxes_to_image(wild, (37, 51))
small = boxes_in(50, 10, 10)
small[:5, 2:] = small[:5, :2] + 0.009
cases["small.boxes"] = small
expected["small.0.01"] = remove_small_boxes(small, 0.01)
expected["small.1"] = remove_small_boxes(small, 1.0)

# transposed convolutions
x = torch.randn(2, 6, 5, 7, generator=g, dtype=torch.float64)
cases["convt.x"] = x
for name, (k, st, p, op, gr) in {"k2s2": (2, 2, 0, 0, 1), "k3s2p1": (3, 2, 1, 1, 1), "k4s3p2": (4, 3, 2, 0, 2),
                                 "k3s1p0": (3, 1, 0, 0, 1), "k1s1p0": (1, 1, 0, 0, 3), "k2s1p1": (2, 1, 1, 0, 1),
                                 "k3s3": (3, 3, 0, 0, 1)}.items():
    m = torch.nn.ConvTranspose2d(6, 9 if gr == 3 else 4, k, st, p, output_padding=op, groups=gr).double()
    cases[f"convt.{name}.weight"] = m.weight.detach()
    cases[f"convt.{name}.bias"] = m.bias.detach()
    expected[f"convt.{name}"] = m(x).detach()
expected["convt.k2s2.nobias"] = F.conv_transpose2d(x, cases["convt.k2s2.weight"], None, stride=2)

# bilinear resize without antialiasing, up and down, odd sizes
img = torch.rand(3, 23, 31, generator=g, dtype=torch.float64)
cases["resize.x"] = img
for oh, ow in ((47, 61), (10, 13), (23, 64), (1, 1), (5, 31)):
    expected[f"resize.{oh}x{ow}"] = F.interpolate(img[None], size=(oh, ow), mode="bilinear", align_corners=False)[0]
expected["resize.float32.40x50"] = F.interpolate(img[None].float(), size=(40, 50), mode="bilinear",
                                                 align_corners=False)[0]

# mask pasting: boxes inside, partly outside, tiny, wholly outside
masks = torch.rand(6, 1, 28, 28, generator=g, dtype=torch.float64)
pboxes = torch.tensor([[10.0, 12.0, 60.0, 40.0], [-15.0, -9.0, 20.0, 25.0], [50.0, 30.0, 90.0, 75.0],
                       [5.2, 5.7, 5.9, 6.1], [200.0, 200.0, 260.0, 230.0], [0.0, 0.0, 79.0, 59.0]],
                      dtype=torch.float64)
cases["paste.masks"], cases["paste.boxes"] = masks, pboxes
expected["paste"] = paste_masks_in_image(masks, pboxes, (60, 80))
nonsquare = torch.rand(3, 1, 28, 14, generator=g, dtype=torch.float64)
cases["paste.nonsquare"] = nonsquare
expected["paste.nonsquare"] = paste_masks_in_image(nonsquare, pboxes[:3], (60, 80))
expected["paste.float32"] = paste_masks_in_image(masks.float(), pboxes.float(), (60, 80))

np.savez(f"{out}/cases.npz", **{k: v.numpy() for k, v in cases.items()})
np.savez(f"{out}/expected.npz", **{k: v.numpy() for k, v in expected.items()})
print("{}")
