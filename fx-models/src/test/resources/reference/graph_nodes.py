"""Prints torchvision 0.14.1's get_graph_node_names for the named models as JSON."""
import json
import sys
import warnings

import torch.nn.init
import torch_fx_py311  # noqa: F401  (before tracing: torch.fx on Python 3.11)

# Node names do not depend on weights: skip initialising them (seconds for the large models).
for _name in dir(torch.nn.init):
    if _name.endswith("_") and not _name.startswith("_"):
        setattr(torch.nn.init, _name, lambda tensor, *args, **kwargs: tensor)

import torchvision.models as models  # noqa: E402  (after the patch: it binds some init functions)
from torchvision.models.feature_extraction import get_graph_node_names

warnings.filterwarnings("ignore")
out = {}
for name in sys.argv[1:]:
    train, eval_ = get_graph_node_names(getattr(models, name)())
    out[name] = {"train": train, "eval": eval_}
print(json.dumps(out))
