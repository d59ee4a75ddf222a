"""PyTorch side of the spike-model benchmark: the same causal spike transformer as
src/models/spike-transformer.ts (linear embedding + learned positions, one post-norm
TransformerEncoderLayer d=128, 16 heads, FF 128, dropout 0.1, linear head), Dice loss,
Adam + clipping; training bins/s at each context. Prints one JSON object."""
import json
import resource
import sys
import time

import torch

threads = int(sys.argv[1])
plan = json.loads(sys.argv[2])  # [[context, batch, steps], ...]
torch.set_num_threads(threads)
torch.manual_seed(0)
U, D = 128, 128


class SpikeTransformer(torch.nn.Module):
    def __init__(self, context):
        super().__init__()
        self.embed = torch.nn.Linear(U, D)
        self.position = torch.nn.Embedding(context, D)
        self.layer = torch.nn.TransformerEncoderLayer(D, 16, 128, dropout=0.1, batch_first=True)
        self.head = torch.nn.Linear(D, U)

    def forward(self, x):
        T = x.shape[1]
        h = self.embed(x) + self.position(torch.arange(T))
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        return self.head(self.layer(h, src_mask=mask))


def dice(logits, target, eps=1.0):
    p = logits.sigmoid()
    return 1 - (2 * (p * target).sum() + eps) / (p.sum() + target.sum() + eps)


out = {"torch": torch.__version__, "rows": []}
for context, batch, steps in plan:
    model = SpikeTransformer(context)
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    data = (torch.rand(batch, context + 1, U) < 0.02).float()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = dice(model(data[:, :context]), data[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - t0) / steps
    out["rows"].append({"context": context, "batch": batch, "binsPerS": batch * context / seconds})
out["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
