"""Prints, as JSON, the output shape of every eval-mode graph node of torchvision 0.14.1 models.

usage: node_shapes.py SIZE MODEL [MODEL ...]
Every name get_graph_node_names lists (eval) is returned by one create_feature_extractor, run on
zeros of shape (1, 3, SIZE, SIZE); a node whose value is not a single tensor maps to null.
"""
import json
import sys
import warnings

import torch
import torch_fx_py311  # noqa: F401  (before tracing: torch.fx on Python 3.11)
import torchvision.models as models
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

warnings.filterwarnings("ignore")
size = int(sys.argv[1])
out = {}
for name in sys.argv[2:]:
    model = getattr(models, name)().eval()
    _, nodes = get_graph_node_names(model)
    extractor = create_feature_extractor(model, return_nodes=nodes)
    with torch.no_grad():
        values = extractor(torch.zeros(1, 3, size, size))
    out[name] = [[n, list(values[n].shape) if isinstance(values[n], torch.Tensor) else None] for n in nodes]
print(json.dumps(out))
