// Fused causal self-attention (see causal-attention.cc for why it exists).
#pragma once
#include <torch/torch.h>

#include <string>

namespace nb {

// Which compiled copy of the loops runs: "avx512", "avx2" or "generic". `wanted`: a copy's name
// forces it (tests cover each the CPU runs), "best" picks by CPU, "" only reports.
std::string FusedCausalAttentionKernel(const std::string& wanted);

// True when the fused kernel can take these inputs: CPU float/double, q, k, v of one shape
// [..., L, d] (self-attention, so S = L).
bool FusedCausalAttentionApplies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// softmax(q kᵀ/√d + causal mask [+ ALiBi]) v with dropout on the weights when training;
// differentiable. alibi: the per-head slopes m_h [H] of q [..., H, L, d]; head h's score of
// key j from query i gets −m_h·(i − j). None: no distance term.
at::Tensor FusedCausalAttentionForward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double dropout,
                                       bool training, const c10::optional<at::Tensor>& alibi);

}  // namespace nb
