"""pycocotools reference for fx4j's COCO code: mask encodings, polygon rasterisation and COCOeval.

Usage: coco_parity.py CASE.json  ->  prints JSON.
CASE holds "rle" (uncompressed masks: {"size", "counts"}), "polygons" ({"size", "xy"}) and "evals"
(each {"gt": COCO instances dict, "dt": results list}). Output: the compressed strings of the RLEs,
the polygons' uncompressed counts, and the 12 stats of COCOeval for bbox and segm per eval.
pycocotools is imported from the environment, or from FX4J_PYCOCOTOOLS / ~/.cache/fx4j/pycocotools
(where .ci/run installs it).
"""
import contextlib
import io
import json
import os
import sys

for path in (os.environ.get("FX4J_PYCOCOTOOLS"), os.path.expanduser("~/.cache/fx4j/pycocotools")):
    if path and os.path.isdir(path):
        sys.path.append(path)
try:
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
except ImportError as e:
    sys.exit("pycocotools is missing (%s): install it with `python3 -m pip install --no-deps --target "
             "~/.cache/fx4j/pycocotools pycocotools` (.ci/run does)" % e)


def rle_counts(rle, h, w):
    """Uncompressed counts of a compressed RLE (decode, then re-run-length in column-major order)."""
    m = mask_utils.decode(rle).flatten(order="F")
    counts, current, run = [], 0, 0
    for v in m:
        if v != current:
            counts.append(run)
            run, current = 0, v
        run += 1
    counts.append(run)
    return counts


def main():
    case = json.load(open(sys.argv[1]))
    out = {"strings": [], "polygons": [], "evals": []}
    for r in case.get("rle", []):
        h, w = r["size"]
        enc = mask_utils.frPyObjects({"size": [h, w], "counts": r["counts"]}, h, w)
        out["strings"].append(enc["counts"].decode("ascii"))
    for p in case.get("polygons", []):
        h, w = p["size"]
        rles = mask_utils.frPyObjects([p["xy"]], h, w)
        out["polygons"].append(rle_counts(mask_utils.merge(rles), h, w))
    for ev in case.get("evals", []):
        result = {}
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO()
            gt.dataset = ev["gt"]
            gt.createIndex()
            for iou_type in ("bbox", "segm"):
                dts = [dict(d) for d in ev["dt"]]
                for d in dts:
                    # one form per run, as a results file has: boxes (area w*h) or masks (area and box from the mask)
                    d.pop("segmentation" if iou_type == "bbox" else "bbox", None)
                dt = gt.loadRes(dts) if dts else COCO()
                if not dts:
                    dt.dataset = {"images": ev["gt"]["images"], "annotations": [], "categories": ev["gt"]["categories"]}
                    dt.createIndex()
                e = COCOeval(gt, dt, iou_type)
                e.evaluate()
                e.accumulate()
                e.summarize()
                result[iou_type] = [float(v) for v in e.stats]
        out["evals"].append(result)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
