// The state behind a CurvatureOperator: the network copy in the compute dtype, the batch's
// chunks and the kept graphs. Internal to networks/curvature.cpp (it includes LibTorch; no
// other layer sees it).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "networks/curvature.hpp"
#include "networks/torch_bridge.hpp"

namespace batchrmt::networks {

namespace detail {

inline bool is_batchnorm(const torch::nn::Module& m) {
  namespace nn = torch::nn;
  return m.as<nn::BatchNorm2d>() || m.as<nn::BatchNorm1d>() || m.as<nn::BatchNorm3d>();
}

// The operator's private copy of the network in the compute dtype and device, shared by the
// operators made from one another (with_indices / with_kind).
struct NetCopy {
  Model model;
  torch::Device device{torch::kCPU};
  torch::ScalarType dtype = torch::kDouble;
  std::vector<torch::Tensor> params;  // the operator's coordinates (restricted), flattening order
  std::vector<ParameterInfo> infos;   // offsets within the operator
  std::int64_t P = 0;
  Dataset data;
  Transform transform;
  CurvatureOptions options;  // dtype resolved
  // Bumped when the weights move (gradient_at): kept graphs are stale. Shared with the copies
  // made by with_chunk_size, which share the module.
  std::shared_ptr<std::uint64_t> generation = std::make_shared<std::uint64_t>(0);
  bool has_batchnorm = false;
};

struct CachedChunk {
  std::uint64_t generation = 0;
  std::vector<torch::Tensor> grads;  // Hessian: gradient with its graph
  torch::Tensor logits, u;  // GGN: logits, dummy u of J^T u
  std::vector<torch::Tensor> jtu;    // GGN: J^T u with its graph
  torch::Tensor probs;      // GGN cross-entropy: softmax(f), detached
};

}  // namespace detail

struct CurvatureOperator::State {
  std::shared_ptr<detail::NetCopy> net;
  CurvatureKind kind = CurvatureKind::hessian;
  std::vector<std::size_t> indices;
  std::vector<std::pair<std::size_t, std::size_t>> chunks;  // [begin, end) into indices
  bool reuse = false;
  mutable std::vector<detail::CachedChunk> cache;
  // The float64 interface's one cast in: x lands here in the compute dtype, on the device
  // (allocated on first use, reused by every product; unused for float64 on the CPU, where x
  // itself is wrapped). The cast out writes the products straight into the caller's y.
  mutable torch::Tensor x_compute;
  // Device operators with a host interface: the float64 product on the device before the copy out.
  mutable torch::Tensor y_device;
  mutable std::int64_t applications = 0;
  mutable double seconds = 0;
};

}  // namespace batchrmt::networks
