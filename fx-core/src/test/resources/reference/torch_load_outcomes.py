"""Loads each file a glob names with torch.load and prints one line per file:
ACCEPTED <name> or REFUSED <name> <error type>: <last line of the error>.

Used by HostileCheckpointTest to check which crafted tensor views torch itself refuses. The files are
fx4j's generated corpus of tensor views: their pickles call only _rebuild_tensor_v2, OrderedDict and
torch storage types, so weights_only=False runs no foreign code here.
"""
import glob
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import torch  # noqa: E402

for f in sorted(glob.glob(os.path.join(sys.argv[1], sys.argv[2]))):
    try:
        torch.load(f, map_location="cpu", weights_only=False)
        print("ACCEPTED", os.path.basename(f))
    except BaseException as e:  # noqa: BLE001 - every refusal is an outcome to report
        lines = [l for l in str(e).splitlines() if l.strip()]
        print("REFUSED", os.path.basename(f), type(e).__name__ + ":", (lines[-1] if lines else "")[:200])
