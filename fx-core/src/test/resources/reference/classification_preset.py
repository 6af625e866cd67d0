"""torchvision's ImageClassification preset on float64 tensors, for fx4j's preprocessing.

usage: classification_preset.py IN.npy RESIZE CROP ANTIALIAS(0|1) OUT.npy
Runs the preset's steps in float64: F.resize(x, [RESIZE], antialias=ANTIALIAS) (0.14 resizes tensors
without antialiasing), F.center_crop, F.normalize with ImageNet's statistics. The preset itself ends
in float32 (convert_image_dtype(img, torch.float)); with ANTIALIAS 0 the script checks that the preset
gives these values, rounded to float32.
"""
import sys

import numpy as np
import torch
import torchvision.transforms.functional as F
from torchvision.transforms._presets import ImageClassification

x = torch.from_numpy(np.load(sys.argv[1]))
resize, crop, aa = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
y = F.resize(x, [resize], antialias=aa)
y = F.center_crop(y, [crop])
y = F.normalize(y, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
if not aa:
    preset = ImageClassification(crop_size=crop, resize_size=resize)(x)
    assert preset.dtype == torch.float32
    assert (preset.double() - y).abs().max().item() < 1e-5, "the steps are not the preset"
np.save(sys.argv[5], y.numpy())
print("ok")
