"""PyTorch side of the cell-encoder benchmark: the same encoder as src/models/cell-encoder.ts
(token + learned position embeddings, LayerNorm, dropout, post-norm GELU encoder layers with
a key-padding mask, MLM head dense/GELU/LayerNorm/decoder) and the same step: MLM
cross-entropy on masked positions + SimCSE NT-Xent over two dropout views of mean-pooled
states, AdamW + clipping. Prints one JSON object with non-pad tokens/s per configuration."""
import json
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1])
plan = json.loads(sys.argv[2])  # [{vocab, length, hidden, layers, heads, intermediate, batch, steps}]
torch.set_num_threads(threads)
torch.manual_seed(0)


class Encoder(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word = torch.nn.Embedding(c["vocab"], c["hidden"])
        self.pos = torch.nn.Embedding(c["length"], c["hidden"])
        self.norm = torch.nn.LayerNorm(c["hidden"])
        self.drop = torch.nn.Dropout(0.1)
        self.layers = torch.nn.ModuleList(
            [torch.nn.TransformerEncoderLayer(c["hidden"], c["heads"], c["intermediate"], 0.1, "gelu", batch_first=True)
             for _ in range(c["layers"])])
        self.dense = torch.nn.Linear(c["hidden"], c["hidden"])
        self.mlm_norm = torch.nn.LayerNorm(c["hidden"])
        self.decoder = torch.nn.Linear(c["hidden"], c["vocab"])

    def encode(self, t):
        h = self.drop(self.norm(self.word(t) + self.pos(torch.arange(t.shape[1]))))
        pad = t == 0
        for layer in self.layers:
            h = layer(h, src_key_padding_mask=pad)
        return h

    def pool(self, h, t):
        w = ((t != 0) & (torch.arange(t.shape[1]) > 0)).float().unsqueeze(-1)
        return (h * w).sum(1) / w.sum(1).clamp(min=1)


def nt_xent(a, b, tau):
    z = F.normalize(torch.cat([a, b]), dim=-1)
    n = a.shape[0]
    sim = (z @ z.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), -1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


out = {"torch": torch.__version__, "rows": []}
for c in plan:
    model = Encoder(c)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    B, L = c["batch"], c["length"]
    lengths = torch.randint(L // 2, L + 1, (B,))
    tokens = torch.randint(4, c["vocab"], (B, L))
    tokens[:, 0] = 2
    tokens[torch.arange(L).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    masked = (torch.rand(B, L) < 0.15) & (tokens > 3)
    labels = torch.where(masked, tokens, torch.full_like(tokens, -100))
    inputs = torch.where(masked, torch.ones_like(tokens), tokens)

    def step():
        opt.zero_grad(set_to_none=True)
        h = model.encode(inputs)
        logits = model.decoder(model.mlm_norm(F.gelu(model.dense(h))))
        mlm = F.cross_entropy(logits.reshape(-1, c["vocab"]), labels.reshape(-1), ignore_index=-100)
        v1 = model.pool(model.encode(tokens), tokens)
        v2 = model.pool(model.encode(tokens), tokens)
        loss = mlm + nt_xent(v1, v2, 0.05)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(c["steps"]):
        step()
    seconds = (time.perf_counter() - t0) / c["steps"]
    out["rows"].append({"tokensPerS": int((tokens != 0).sum()) / seconds})
print(json.dumps(out))
