"""Writes a randomly initialised torchvision model in float64 and its reference values for fx4j.

usage: model_parity.py MODEL OUTDIR HEIGHT WIDTH FORMATS MODES
  FORMATS  "all": weights.pth (torch.save, zip), weights_legacy.pth (legacy format) and
           weights.safetensors (written by hand: the safetensors package is not needed); "zip":
           weights.pth only.
  MODES    "eval", or "train": eval, then one train-mode forward and backward.
OUTDIR holds nodes_eval.txt and nodes_train.txt, fx4j's node names of each mode (one a line). The
nodes compared are those torchvision lists too (in its order) whose value is a floating-point tensor.

The model is torchvision's (seed 0) built and initialised in float64 (so every value uses all 53
bits: a float32 round trip shows), with non-trivial batch-norm statistics and constant-initialised
parameters (zeros: biases, ViT's class token and head; ones: norm weights) randomised. In-place activations are made
out of place (nn modules' `inplace`, functional `inplace=True`): with them torchvision returns a
node's value as overwritten by a later in-place op (`bn1` would come back after `relu`), an
aliasing artefact, not the node's value. Dropout and stochastic depth get p = 0, so that train
mode is deterministic. The input is 2x3xHEIGHTxWIDTH, float64.

Writes: input.npy; eval.npz (node values, eval mode); meta.json ({"eval": [...], "eval_modules":
[the call_module ones], "train": [...], "train_modules": [...], "logits": the last node}); with
"train" also train.npz (node values of one train-mode forward, batch statistics), buffers.npz
(every buffer after that forward: running statistics, num_batches_tracked; only for models with
buffers), loss_weights.npy (r)
and grads.npz (d sum(logits * r) / d parameter, by parameter name, after that forward).
"""
import json
import os
import struct
import sys
import warnings

import numpy as np
import torch
import torch_fx_py311  # noqa: F401  (before tracing: torch.fx on Python 3.11)
import torchvision.models as models
import torchvision.ops
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

warnings.filterwarnings("ignore")
name, out = sys.argv[1], sys.argv[2]
height, width = int(sys.argv[3]), int(sys.argv[4])
formats, modes = sys.argv[5], sys.argv[6]
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
model = getattr(models, name)()
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):  # non-trivial batch-norm statistics, so that buffers matter
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.num_batches_tracked.fill_(3)
    for p in model.parameters():  # constant-initialised parameters: zeros (biases, class token), ones
        if p.numel() > 1 and bool(p.min() == p.max()):
            p.normal_(p[(0,) * p.dim()].item(), 0.02)
        elif not p.any():
            p.normal_(0, 0.02)
for m in model.modules():
    if hasattr(m, "inplace"):
        m.inplace = False
    if isinstance(m, (torch.nn.Dropout, torchvision.ops.StochasticDepth)):
        m.p = 0.0

sd = model.state_dict()
torch.save(sd, os.path.join(out, "weights.pth"))
if formats == "all":
    torch.save(sd, os.path.join(out, "weights_legacy.pth"), _use_new_zipfile_serialization=False)
    header, blobs, offset = {}, [], 0
    for key, t in sd.items():
        data = t.detach().contiguous().numpy().tobytes()
        dtype = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64"}[t.dtype]
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


def fx4j_nodes(mode):
    with open(os.path.join(out, f"nodes_{mode}.txt")) as f:
        return set(f.read().split())


tv_train, tv_eval = get_graph_node_names(model)
cand = {"train": [n for n in tv_train if n in fx4j_nodes("train")],
        "eval": [n for n in tv_eval if n in fx4j_nodes("eval")]}
extractor = create_feature_extractor(model, train_return_nodes=cand["train"], eval_return_nodes=cand["eval"])
ops = {}
for mode, graph in (("train", extractor.train_graph), ("eval", extractor.eval_graph)):
    for node in graph.nodes:
        if node.kwargs.get("inplace"):
            node.kwargs = {**node.kwargs, "inplace": False}
        if node.op == "output":
            ops[mode] = {k: v.op for k, v in node.args[0].items()}
extractor.recompile()

torch.manual_seed(1)
x = torch.randn(2, 3, height, width, dtype=torch.float64)
np.save(os.path.join(out, "input.npy"), x.numpy())
meta = {"logits": tv_train[-1], "all_train": tv_train, "all_eval": tv_eval}


def kept(mode, values):
    keep = {k: v.detach().numpy() for k, v in values.items()
            if torch.is_tensor(v) and v.is_floating_point() and ops[mode][k] != "placeholder"}
    meta[mode] = list(keep)
    meta[mode + "_modules"] = [k for k in keep if ops[mode][k] == "call_module"]
    np.savez(os.path.join(out, mode + ".npz"), **keep)


model.eval()
extractor.eval()
with torch.no_grad():
    kept("eval", extractor(x))
if modes == "train":
    model.train()
    extractor.train()
    values = extractor(x)
    logits = values[meta["logits"]]
    r = torch.randn(logits.shape, dtype=torch.float64)
    np.save(os.path.join(out, "loss_weights.npy"), r.numpy())
    (logits * r).sum().backward()
    kept("train", values)
    buffers = {k: b.numpy() for k, b in model.named_buffers()}
    if buffers:  # an .npz without entries is no checkpoint fx4j reads
        np.savez(os.path.join(out, "buffers.npz"), **buffers)
    np.savez(os.path.join(out, "grads.npz"), **{
        k: (p.grad if p.grad is not None else torch.zeros_like(p)).numpy()
        for k, p in model.named_parameters() if p.requires_grad})
with open(os.path.join(out, "meta.json"), "w") as f:
    json.dump(meta, f)
