"""Prints torchvision 0.14.1's get_graph_node_names for the named models as JSON."""
import json
import sys
import warnings

import torchvision.models as models
from torchvision.models.feature_extraction import get_graph_node_names

warnings.filterwarnings("ignore")
out = {}
for name in sys.argv[1:]:
    model = getattr(models, name)()
    train, eval_ = get_graph_node_names(model)
    out[name] = {"train": train, "eval": eval_}
print(json.dumps(out))
