"""Writes a randomly initialised torchvision model's weights and reference outputs for fx4j.

usage: model_parity.py MODEL OUTDIR NODES [all|zip] [SIZE]
OUTDIR gets: weights.pth (torch.save, zip) and, with "all" (the default), weights_legacy.pth (legacy
format) and weights.safetensors (written by hand: the safetensors package is not needed); input.npy
and expected.npz (the comma-separated NODES for that input, eval mode). The input is 2x3xSIZExSIZE
(SIZE 64 by default). Where torchvision's tracer fails (vision_transformer), NODES must be module
names and their outputs are read with forward hooks.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision.models as models
from torchvision.models.feature_extraction import create_feature_extractor

name, out, nodes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
formats = sys.argv[4] if len(sys.argv) > 4 else "all"
size = int(sys.argv[5]) if len(sys.argv) > 5 else 64
torch.manual_seed(0)
model = getattr(models, name)()
with torch.no_grad():  # non-trivial batch-norm statistics, so that buffers matter
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.num_batches_tracked.fill_(3)
    for p in model.parameters():  # zero-initialised parameters (biases, ViT's class token and head) too
        if p.is_floating_point() and not p.any():
            p.normal_(0, 0.02)
model.eval()
sd = model.state_dict()
torch.save(sd, os.path.join(out, "weights.pth"))
if formats == "all":
    torch.save(sd, os.path.join(out, "weights_legacy.pth"), _use_new_zipfile_serialization=False)

if formats == "all":
    header, blobs, offset = {}, [], 0
    for key, t in sd.items():
        data = t.detach().contiguous().numpy().tobytes()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(os.path.join(out, "weights.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)

x = torch.randn(2, 3, size, size)
np.save(os.path.join(out, "input.npy"), x.numpy())
try:
    extractor = create_feature_extractor(model, nodes)
    with torch.no_grad():
        feats = extractor(x)
except torch.fx.proxy.TraceError:
    feats = {}
    for node in nodes:
        def hook(module, inputs, output, node=node):
            feats[node] = output[0] if isinstance(output, tuple) else output
        model.get_submodule(node).register_forward_hook(hook)
    with torch.no_grad():
        model(x)
np.savez(os.path.join(out, "expected.npz"), **{k: v.numpy() for k, v in feats.items()})
