"""Prints torchvision 0.14.1's get_graph_node_names for the named models as JSON ({"error": ...} where it fails)."""
import json
import sys
import warnings

import torchvision.models as models
from torchvision.models.feature_extraction import get_graph_node_names

warnings.filterwarnings("ignore")
out = {}
for name in sys.argv[1:]:
    model = getattr(models, name)()
    try:
        train, eval_ = get_graph_node_names(model)
        out[name] = {"train": train, "eval": eval_}
    except Exception as e:  # vision_transformer: torchvision's tracer cannot follow x.shape
        out[name] = {"error": f"{type(e).__name__}: {e}"}
print(json.dumps(out))
