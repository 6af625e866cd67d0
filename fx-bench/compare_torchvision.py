#!/usr/bin/python3
"""Side-by-side latency of fx4j and torchvision 0.14.1 feature extractors on this machine.

For each batch size, rounds alternate between torchvision's create_feature_extractor (in this
process) and fx4j's extractor (`./fx bench ... --json`, timed inside the JVM), with the same model,
return nodes, batch, image size, thread count and iteration counts. Each fx4j round starts a JVM,
which also warms up for --jvm-warmup-seconds (JIT compilation) before its timed runs. Prints the ratio table; with
--plot writes a PNG of latency vs batch size; with --json writes all samples.

usage: fx-bench/compare_torchvision.py [--model resnet50] [--nodes layer1,layer2,layer3,layer4]
       [--batches 1,8,32] [--threads 2] [--iters 10] [--warmup 3] [--rounds 3] [--size 224]
       [--plot docs/bench-resnet50.png] [--json out.json] [--malloc tuned|default]
Both processes run with the same glibc allocator settings: fx's launcher's (--malloc tuned, the default)
or glibc's own (--malloc default); the script restarts itself with them. The other modes take --malloc too.
       fx-bench/compare_torchvision.py --fpn [--model resnet50] [--fpn-size 800x1088] [--threads 2]
       [--iters 5] [--warmup 2] [--rounds 3]
With --fpn it times the detection backbone instead: torchvision's resnet_fpn_backbone(MODEL) forward
against fx4j's resnetFpnBackbone(MODEL) (`./fx bench MODEL --fpn`), batch 1, at --fpn-size.
       fx-bench/compare_torchvision.py --maskrcnn [--image-size 480x640] [--threads 2] [--iters 5] [--warmup 1]
       [--rounds 3]
With --maskrcnn it times whole-image detection: torchvision's maskrcnn_resnet50_fpn(weights=None,
box_score_thresh=0) on one random image against fx4j's MaskRCNN.detect (`./fx bench resnet50 --maskrcnn`),
and reports both processes' peak resident memory.
       fx-bench/compare_torchvision.py --maskrcnn-train [--image-size 512x512] [--train-batch 2] [--threads 2]
       [--iters 5] [--warmup 1] [--rounds 3]
With --maskrcnn-train it times one training iteration (losses, backward, clip_grad_norm_ 10, SGD with
momentum 0.9 and weight decay 1e-4): torchvision's MaskRCNN on _resnet_fpn_extractor(resnet50 with
FrozenBatchNorm2d, 3 trainable layers), min = max size the image's, against fx4j's
DetectionModels.maskrcnnResnet50Fpn(91, 3, ...) with TrainingStep (`./fx bench resnet50 --maskrcnn --train`);
both on --train-batch random images with the same three fixed objects each.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import torch
import torchvision
import torchvision.models as models
from torchvision.models.feature_extraction import create_feature_extractor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# glibc's allocator settings of `./fx` (and of fx4j's MallocSettings.RECOMMENDED). With glibc's defaults,
# freed tensor memory goes back to the system and is page-faulted in again on the next pass, in torch
# and in fx4j alike (ResNet-50 passes 1.6-4.3x as long on the project's machine): both sides of a comparison
# run with the same settings, these (--malloc tuned, the default) or glibc's (--malloc default).
TUNED_MALLOC = {"MALLOC_ARENA_MAX": "1", "MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "4294967296"}
TUNED_DESCRIPTION = " ".join(f"{k}={v}" for k, v in TUNED_MALLOC.items())  # as `fx bench` reports it
MALLOC_VARIABLES = list(TUNED_MALLOC) + ["MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES", "FX_MALLOC"]


def apply_malloc(mode):
    """Restarts this script with the allocator environment of `mode` (glibc reads it once, at start)."""
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_VARIABLES}
    if mode == "tuned":
        env.update(TUNED_MALLOC)
    else:
        env["FX_MALLOC"] = "default"  # ./fx leaves glibc as configured
    if any(os.environ.get(v) != env.get(v) for v in MALLOC_VARIABLES):
        os.execve(sys.executable, getattr(sys, "orig_argv", [sys.executable] + sys.argv), env)


def malloc_note(mode):
    return "malloc: " + (TUNED_DESCRIPTION if mode == "tuned" else "glibc defaults") + " in both processes"


def torchvision_round(model, nodes, batch, size, warmup, iters):
    x = torch.rand(batch, 3, size, size)
    extractor = create_feature_extractor(model, nodes)
    with torch.no_grad():
        for _ in range(warmup):
            extractor(x)
        samples = []
        for _ in range(iters):
            t = time.perf_counter()
            extractor(x)
            samples.append((time.perf_counter() - t) * 1000)
    return samples


def torchvision_build(model, nodes, repeats=10):
    samples = []
    for _ in range(repeats + 3):
        t = time.perf_counter()
        create_feature_extractor(model, nodes)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples[3:])


def fx4j_round(args, batch):
    cmd = [os.path.join(ROOT, "fx"), "bench", args.model, "--nodes", args.nodes, "--batch", str(batch),
           "--size", str(args.size), "--iters", str(args.iters), "--warmup", str(args.warmup),
           "--threads", str(args.threads), "--warmup-seconds", str(args.jvm_warmup_seconds), "--eager", "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    check_malloc(result)
    return result


def check_malloc(result):
    """Stops when ./fx reports other allocator settings than this process runs with."""
    expected = "glibc defaults" if os.environ.get("FX_MALLOC") == "default" else TUNED_DESCRIPTION
    if result.get("malloc") != expected:
        sys.exit(f"fx4j ran with allocator settings {result.get('malloc')!r}, expected {expected!r}")


def fpn_round(backbone, height, width, warmup, iters):
    x = torch.rand(1, 3, height, width)
    with torch.no_grad():
        for _ in range(warmup):
            backbone(x)
        samples = []
        for _ in range(iters):
            t = time.perf_counter()
            backbone(x)
            samples.append((time.perf_counter() - t) * 1000)
    return samples


def compare_fpn(args):
    from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
    height, width = (int(v) for v in args.fpn_size.split("x"))
    backbone = resnet_fpn_backbone(backbone_name=args.model, weights=None).eval()
    cmd = [os.path.join(ROOT, "fx"), "bench", args.model, "--fpn", "--size", str(height), "--width", str(width),
           "--iters", str(args.iters), "--warmup", str(args.warmup), "--threads", str(args.threads),
           "--warmup-seconds", str(args.jvm_warmup_seconds), "--json"]
    tv, fx = [], []  # per-round medians on both sides
    for r in range(args.rounds):
        for side in (["tv", "fx"] if r % 2 == 0 else ["fx", "tv"]):
            if side == "tv":
                tv.append(statistics.median(fpn_round(backbone, height, width, args.warmup, args.iters)))
            else:
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                fx.append(json.loads(out.strip().splitlines()[-1])["median_ms"])
    t, f = statistics.median(tv), statistics.median(fx)
    print(f"# {args.model} FPN backbone (resnet_fpn_backbone / resnetFpnBackbone), batch 1, {height}x{width}, "
          f"threads {args.threads}, {args.rounds} interleaved rounds x {args.iters} iterations; torch "
          f"{torch.__version__}, torchvision {torchvision.__version__} vs fx4j on DJL 0.36.0 / libtorch 2.7.1")
    print(f"# {malloc_note(args.malloc)}")
    print(f"medians of the per-round medians: torchvision {t:.1f} ms, fx4j {f:.1f} ms, fx4j/torchvision {f / t:.3f}")
    print(f"per-round medians: torchvision {[round(v) for v in tv]}, fx4j {[round(v) for v in fx]}")


def maskrcnn_round(model, image, warmup, iters):
    with torch.no_grad():
        for _ in range(warmup):
            model([image])
        samples = []
        for _ in range(iters):
            t = time.perf_counter()
            d = model([image])[0]
            samples.append((time.perf_counter() - t) * 1000)
    return samples, int(d["boxes"].shape[0])


def compare_maskrcnn(args):
    import resource
    from torchvision.models.detection import maskrcnn_resnet50_fpn
    height, width = (int(v) for v in args.image_size.split("x"))
    model = maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91, box_score_thresh=0.0).eval()
    image = torch.rand(3, height, width)
    cmd = [os.path.join(ROOT, "fx"), "bench", "resnet50", "--maskrcnn", "--size", str(height), "--width", str(width),
           "--iters", str(args.iters), "--warmup", str(args.warmup), "--threads", str(args.threads),
           "--warmup-seconds", str(args.jvm_warmup_seconds), "--json"]
    tv, fx, fx_rss, counts = [], [], [], {}
    for r in range(args.rounds):
        for side in (["tv", "fx"] if r % 2 == 0 else ["fx", "tv"]):
            if side == "tv":
                samples, counts["torchvision"] = maskrcnn_round(model, image, args.warmup, args.iters)
                tv.append(statistics.median(samples))
            else:
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                j = json.loads(out.strip().splitlines()[-1])
                fx.append(j["median_ms"])
                fx_rss.append(j["peak_rss_mb"])
                counts["fx4j"] = j["detections"]
                resized = j["resized"]
    t, f = statistics.median(tv), statistics.median(fx)
    tv_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# maskrcnn_resnet50_fpn, random weights, box_score_thresh 0, one {height}x{width} image (resized to "
          f"{resized}), threads {args.threads}, {args.rounds} interleaved rounds x {args.iters} iterations; torch "
          f"{torch.__version__}, torchvision {torchvision.__version__} vs fx4j on DJL 0.36.0 / libtorch 2.7.1")
    print(f"# {malloc_note(args.malloc)}")
    print(f"detections: torchvision {counts['torchvision']}, fx4j {counts['fx4j']}")
    print(f"medians of the per-round medians: torchvision {t:.0f} ms, fx4j {f:.0f} ms, fx4j/torchvision {f / t:.3f}")
    print(f"per-round medians: torchvision {[round(v) for v in tv]}, fx4j {[round(v) for v in fx]}")
    print(f"peak resident memory: torchvision process {tv_rss:.0f} MB, fx4j JVM {max(fx_rss):.0f} MB")


# The fixed targets of `fx bench --maskrcnn --train` (TrainingBenchmarks.java): fractions x1, y1, x2, y2.
TRAIN_BOXES = [(0.1, 0.1, 0.4, 0.5), (0.5, 0.2, 0.9, 0.6), (0.3, 0.6, 0.7, 0.95)]


def fixed_target(height, width):
    import math
    boxes, masks = [], torch.zeros(len(TRAIN_BOXES), height, width, dtype=torch.uint8)
    for k, (a, b, c, d) in enumerate(TRAIN_BOXES):
        x1, y1, x2, y2 = (math.floor(a * width), math.floor(b * height), math.floor(c * width), math.floor(d * height))
        boxes.append([x1, y1, x2, y2])
        masks[k, y1:y2, x1:x2] = 1
    return {"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor([1, 2, 3]), "masks": masks}


def maskrcnn_train_round(model, params, opt, images, targets, warmup, iters):
    samples = []
    for i in range(warmup + iters):
        t = time.perf_counter()
        losses = model(images, targets)
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        if i >= warmup:
            samples.append((time.perf_counter() - t) * 1000)
    return samples


def compare_maskrcnn_train(args):
    import resource
    from torchvision.models import resnet50
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
    from torchvision.ops import misc as misc_nn_ops
    height, width = (int(v) for v in args.image_size.split("x"))
    torch.manual_seed(0)
    backbone = _resnet_fpn_extractor(resnet50(weights=None, norm_layer=misc_nn_ops.FrozenBatchNorm2d), 3)
    model = MaskRCNN(backbone, num_classes=91, min_size=height, max_size=max(height, width)).train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=1e-4, momentum=0.9, weight_decay=1e-4)
    images = [torch.rand(3, height, width) for _ in range(args.train_batch)]
    targets = [fixed_target(height, width) for _ in range(args.train_batch)]
    cmd = [os.path.join(ROOT, "fx"), "bench", "resnet50", "--maskrcnn", "--train", "--batch", str(args.train_batch),
           "--size", str(height), "--width", str(width), "--iters", str(args.iters), "--warmup", str(args.warmup),
           "--threads", str(args.threads), "--warmup-seconds", str(args.jvm_warmup_seconds), "--json"]
    tv, fx, fx_rss = [], [], []
    for r in range(args.rounds):
        for side in (["tv", "fx"] if r % 2 == 0 else ["fx", "tv"]):
            if side == "tv":
                tv.append(statistics.median(maskrcnn_train_round(model, params, opt, images, targets, args.warmup,
                                                                 args.iters)))
            else:
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                j = json.loads(out.strip().splitlines()[-1])
                fx.append(j["median_ms"])
                fx_rss.append(j["peak_rss_mb"])
    t, f = statistics.median(tv), statistics.median(fx)
    tv_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# maskrcnn_resnet50_fpn training iteration (FrozenBatchNorm2d, trainable_backbone_layers=3, SGD momentum "
          f"0.9, weight decay 1e-4, clip_grad_norm_ 10), batch {args.train_batch} of {height}x{width} with 3 objects "
          f"each, threads {args.threads}, {args.rounds} interleaved rounds x {args.iters} iterations; torch "
          f"{torch.__version__}, torchvision {torchvision.__version__} vs fx4j on DJL 0.36.0 / libtorch 2.7.1")
    print(f"# {malloc_note(args.malloc)}")
    print(f"medians of the per-round medians: torchvision {t:.0f} ms, fx4j {f:.0f} ms, fx4j/torchvision {f / t:.3f}")
    print(f"per-round medians: torchvision {[round(v) for v in tv]}, fx4j {[round(v) for v in fx]}")
    print(f"peak resident memory: torchvision process {tv_rss:.0f} MB, fx4j JVM {max(fx_rss):.0f} MB")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet50")
    p.add_argument("--nodes", default="layer1,layer2,layer3,layer4")
    p.add_argument("--batches", default="1,8,32")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--jvm-warmup-seconds", type=float, default=5.0,
                   help="fx4j keeps warming up this long in each round: the JVM compiles hot code first")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--plot")
    p.add_argument("--json")
    p.add_argument("--fpn", action="store_true", help="time the FPN detection backbone instead")
    p.add_argument("--fpn-size", default="800x1088")
    p.add_argument("--maskrcnn", action="store_true", help="time maskrcnn_resnet50_fpn detection instead")
    p.add_argument("--image-size", default="480x640", help="--maskrcnn: the image, HxW (default 480x640)")
    p.add_argument("--maskrcnn-train", action="store_true",
                   help="time one maskrcnn_resnet50_fpn training iteration instead (use --image-size 512x512)")
    p.add_argument("--train-batch", type=int, default=2, help="--maskrcnn-train: images per iteration (default 2)")
    p.add_argument("--malloc", choices=["tuned", "default"], default="tuned",
                   help="glibc allocator settings of both processes: fx's (default) or glibc's own")
    args = p.parse_args()
    apply_malloc(args.malloc)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.maskrcnn_train:
        subprocess.run([os.path.join(ROOT, "fx"), "nodes", "--list"], check=True, capture_output=True)  # build once
        compare_maskrcnn_train(args)
        return
    if args.maskrcnn:
        subprocess.run([os.path.join(ROOT, "fx"), "nodes", "--list"], check=True, capture_output=True)  # build once
        compare_maskrcnn(args)
        return
    if args.fpn:
        subprocess.run([os.path.join(ROOT, "fx"), "nodes", "--list"], check=True, capture_output=True)  # build once
        compare_fpn(args)
        return
    model = getattr(models, args.model)().eval()
    nodes = args.nodes.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    subprocess.run([os.path.join(ROOT, "fx"), "nodes", "--list"], check=True, capture_output=True)  # build once

    results = []
    for batch in batches:
        tv, fx, eager, fx_build = [], [], [], []
        for r in range(args.rounds):
            order = ["tv", "fx"] if r % 2 == 0 else ["fx", "tv"]
            for side in order:
                if side == "tv":
                    # one median per round on both sides (each fx4j round is a JVM reporting its median)
                    tv.append(statistics.median(torchvision_round(model, nodes, batch, args.size, args.warmup,
                                                                  args.iters)))
                else:
                    j = fx4j_round(args, batch)
                    fx.append(j["median_ms"])
                    eager.append(j["eager"]["median_ms"])
                    fx_build.append(j["build_ms"])
        row = {
            "batch": batch,
            "torchvision_ms": statistics.median(tv),
            "fx4j_ms": statistics.median(fx),
            "fx4j_eager_ms": statistics.median(eager),
            "fx4j_build_ms": statistics.median(fx_build),
        }
        row["ratio_fx4j_over_torchvision"] = row["fx4j_ms"] / row["torchvision_ms"]
        row["ratio_extractor_over_eager"] = row["fx4j_ms"] / row["fx4j_eager_ms"]
        results.append(row)
        print(f"batch {batch}: done", file=sys.stderr)

    tv_build = torchvision_build(model, nodes)
    print(f"# {args.model}, nodes {args.nodes}, {args.size}x{args.size}, threads {args.threads}, "
          f"{args.rounds} interleaved rounds x {args.iters} iterations; torch {torch.__version__}, "
          f"torchvision {torchvision.__version__} vs fx4j on DJL 0.36.0 / libtorch 2.7.1; {malloc_note(args.malloc)}")
    print(f"{'batch':>5} {'torchvision ms':>15} {'fx4j ms':>10} {'fx4j/tv':>8} {'fx4j eager ms':>14} {'extractor/eager':>16}")
    for row in results:
        print(f"{row['batch']:>5} {row['torchvision_ms']:>15.2f} {row['fx4j_ms']:>10.2f} "
              f"{row['ratio_fx4j_over_torchvision']:>8.3f} {row['fx4j_eager_ms']:>14.2f} "
              f"{row['ratio_extractor_over_eager']:>16.3f}")
    print(f"trace + build: torchvision {tv_build:.2f} ms, fx4j {statistics.median(r['fx4j_build_ms'] for r in results):.2f} ms")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results, "torchvision_build_ms": tv_build}, f, indent=2)
    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("no plot: install python3-matplotlib", file=sys.stderr)
            return
        fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
        b = [r["batch"] for r in results]
        ax.plot(b, [r["torchvision_ms"] for r in results], "o-", label=f"torchvision {torchvision.__version__}")
        ax.plot(b, [r["fx4j_ms"] for r in results], "s-", label="fx4j extractor")
        ax.plot(b, [r["fx4j_eager_ms"] for r in results], "^--", label="fx4j eager full model")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(b)
        ax.set_xticklabels([str(x) for x in b])
        ax.set_xlabel("batch size")
        ax.set_ylabel("latency per batch (ms, median)")
        ax.set_title(f"{args.model} {args.nodes} extraction, {args.threads} threads, CPU")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
