"""Prints get_graph_node_names of modules built around a FeaturePyramidNetwork, as JSON.

"seed": the seed's Resnet50WithFPN (an extractor `body` of resnet50's layer1..layer4, then `fpn`);
"seed_pool": the same, returning only the FPN's "pool" level (one getitem node);
"head_reads": a small body, an FPN, and a traced child `head` given the whole dict that reads "0";
"parent_reads": a traced child `backbone` that returns the FPN's dict, whose "1" the parent reads;
"partial": the FPN's dict returned after "0" was updated in place.
Output: {name: {"train": [...], "eval": [...]}}.
"""
import json
import warnings

import torch
import torch_fx_py311  # noqa: F401  (before tracing: torch.fx on Python 3.11)
import torchvision.models as models
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

warnings.filterwarnings("ignore")


class Resnet50WithFPN(torch.nn.Module):
    def __init__(self, only_pool=False):
        super().__init__()
        self.body = create_feature_extractor(
            models.resnet50(), return_nodes={f"layer{k}": str(v) for v, k in enumerate([1, 2, 3, 4])})
        self.fpn = FeaturePyramidNetwork([256, 512, 1024, 2048], 256, extra_blocks=LastLevelMaxPool())
        self.only_pool = only_pool

    def forward(self, x):
        y = self.fpn(self.body(x))
        return y["pool"] if self.only_pool else y


class Body(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 8, 1)
        self.c2 = torch.nn.Conv2d(8, 16, 1, stride=2)

    def forward(self, x):
        a = self.c1(x)
        return {"0": a, "1": self.c2(a)}


class Head(torch.nn.Module):
    def forward(self, levels):
        return levels["0"] * 2


class HeadReads(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Body()
        self.fpn = FeaturePyramidNetwork([8, 16], 8, extra_blocks=LastLevelMaxPool())
        self.head = Head()

    def forward(self, x):
        return self.head(self.fpn(self.body(x)))


class Backbone(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Body()
        self.fpn = FeaturePyramidNetwork([8, 16], 8, extra_blocks=LastLevelMaxPool())

    def forward(self, x):
        return self.fpn(self.body(x))


class ParentReads(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()

    def forward(self, x):
        return self.backbone(x)["1"] * 2


class Partial(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()

    def forward(self, x):
        o = self.backbone.fpn(self.backbone.body(x))
        o["0"].add_(1)
        return o


out = {}
for name, model in [("seed", Resnet50WithFPN(False)), ("seed_pool", Resnet50WithFPN(True)),
                    ("head_reads", HeadReads()), ("parent_reads", ParentReads()), ("partial", Partial())]:
    train, eval_ = get_graph_node_names(model)
    out[name] = {"train": train, "eval": eval_}
print(json.dumps(out))
