"""PyTorch side of `npm run bench` (engine section): the same computations as bench/engine.ts,
timed the same way (median of repeated runs after warm-up). Prints one JSON object."""
import json
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.set_num_threads(threads)
torch.manual_seed(0)


def median_ms(fn, warmup=3, repeats=None):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats or reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


# 1) 1024^3 matmul
a = torch.randn(1024, 1024)
b = torch.randn(1024, 1024)
# A 12 ms op: five times the repetitions for a stable median (the same in engine.ts).
matmul_ms = median_ms(lambda: a @ b, warmup=10, repeats=5 * reps)

# 2) one causal self-attention layer (in/out projections, 16 heads), forward + backward,
#    with PyTorch's own nn.MultiheadAttention (its math path scales q and adds the mask in
#    baddbmm, as the engine does)
L, D, H = 1024, 128, 16
x = torch.randn(1, L, D, requires_grad=True)
attention = torch.nn.MultiheadAttention(D, H, batch_first=True)
causal = torch.ones(L, L, dtype=torch.bool).triu(1)


def attention_step():
    out, _ = attention(x, x, x, attn_mask=causal, need_weights=False)
    out.sum().backward()
    x.grad = None
    attention.zero_grad(set_to_none=True)


attention_ms = median_ms(attention_step)

# 3) 2-layer bidirectional LSTM, forward + backward
B, T, IN, HID = 64, 32, 64, 128
lstm = torch.nn.LSTM(IN, HID, num_layers=2, bidirectional=True, batch_first=True)
seq = torch.randn(B, T, IN)


def lstm_step():
    out, _ = lstm(seq)
    out.sum().backward()
    lstm.zero_grad(set_to_none=True)


lstm_ms = median_ms(lstm_step)

print(json.dumps({
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "matmul_ms": matmul_ms,
    "attention_ms": attention_ms,
    "lstm_ms": lstm_ms,
}))
