#!/usr/bin/python3
"""Descriptors per second of `fx index` against a torchvision 0.14.1 script doing the same work.

Both sides read every image under DIR (PIL in Python, ImageIO in Java, on a second thread in both),
apply torchvision's ImageClassification preset (resize 256, centre crop 224, ImageNet
normalisation), run MODEL's create_feature_extractor up to NODE in batches of --batch, GeM-pool
(p = 3) and L2-normalise. Rounds alternate between the two; the timed span of each side starts at the
first batch (model construction and JVM start-up excluded) and ends with the last descriptor.
Random-initialised weights on both sides (throughput does not depend on them). Prints per-round
figures, the medians and the ratio.

usage: fx-bench/index_torchvision.py DIR [--model resnet50] [--node layer3] [--batch 16] [--threads 2]
       [--rounds 3]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F
import torchvision.models as models
from PIL import Image
from torchvision.models.feature_extraction import create_feature_extractor
from torchvision.transforms import functional as TF
from torchvision.transforms._presets import ImageClassification

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fx-core", "src", "test",
                                "resources", "reference"))
import torch_fx_py311  # noqa: E402,F401  (torch.fx on Python 3.11)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def files_under(directory):
    out = []
    for base, _, names in os.walk(directory):
        out += [os.path.join(base, n) for n in names if n.lower().endswith(EXTENSIONS)]
    return sorted(out, key=lambda p: os.path.relpath(p, directory))


def torchvision_round(files, model, node, batch):
    extractor = create_feature_extractor(getattr(models, model)().eval(), return_nodes={node: "f"})
    preset = ImageClassification(crop_size=224, resize_size=256)

    def decode(chunk):
        return torch.stack([preset(TF.pil_to_tensor(Image.open(f).convert("RGB"))) for f in chunk])

    chunks = [files[i:i + batch] for i in range(0, len(files), batch)]
    count = 0
    with torch.no_grad(), ThreadPoolExecutor(1) as pool:
        start = time.perf_counter()
        pending = pool.submit(decode, chunks[0])
        for i in range(len(chunks)):
            x = pending.result()
            if i + 1 < len(chunks):
                pending = pool.submit(decode, chunks[i + 1])
            f = extractor(x)["f"]
            d = F.normalize(F.avg_pool2d(f.clamp(min=1e-6).pow(3), f.shape[-2:]).pow(1.0 / 3).flatten(1), dim=1)
            count += d.shape[0]
        elapsed = time.perf_counter() - start
    return count / elapsed


def fx4j_round(directory, model, node, batch, threads):
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        out = subprocess.run([os.path.join(ROOT, "fx"), "index", directory, "--model", model, "--node", node,
                              "--pooling", "gem:3", "--batch", str(batch), "--out", os.path.join(tmp, "i.idx")],
                             check=True, capture_output=True, text=True, env=env).stdout
    return float(re.search(r"([0-9.]+) descriptors/s", out).group(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--model", default="resnet50")
    p.add_argument("--node", default="layer3")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    files = files_under(a.dir)
    print(f"{len(files)} images, {a.model} {a.node} GeM p=3, batch {a.batch}, {a.threads} threads, torch "
          f"{torch.__version__}")
    tv, fx = [], []
    for r in range(a.rounds):
        tv.append(torchvision_round(files, a.model, a.node, a.batch))
        fx.append(fx4j_round(a.dir, a.model, a.node, a.batch, a.threads))
        print(f"round {r + 1}: torchvision {tv[-1]:.2f}/s, fx4j {fx[-1]:.2f}/s", flush=True)
    t, f = statistics.median(tv), statistics.median(fx)
    print(f"median descriptors/s: torchvision {t:.2f}, fx4j {f:.2f}, fx4j/torchvision {f / t:.3f}")


if __name__ == "__main__":
    main()
