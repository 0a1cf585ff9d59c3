// Curvature of a network on an exact data subset, as matrix-free operators, and the
// batch-Hessian spectrum measurement built on them (docs/theory.md 5.1-5.8). No LibTorch in this
// header: verify/ and apps/ include it; the implementation is networks/curvature.cpp.
//
// Operator (CurvatureOperator, the spectral core's operator concept, float64 interface):
//   Hessian  y = H_S v, H_S = Hessian of the MEAN loss over the index set S (docs/theory.md 1.1),
//            by double backward (Pearlmutter 1994; docs/theory.md 5.2);
//   GGN      y = G_S v = (1/|S|) sum_i J_i^T H_out,i J_i v, by a Jacobian-vector product (the
//            double-backward trick: Jv = d/du <J^T u, v>) and a vector-Jacobian product.
// Chunks: S is processed in forward chunks of at most `chunk_size` samples and
//     H_S v = sum_c (|c| / |S|) HVP_c(v)     (HVP_c of the mean loss on chunk c, docs/theory.md 5.4),
// accumulated in float64 whatever the compute dtype, so unequal chunks are exact.
// Graph reuse: when S fits one chunk (GraphReuse::automatic) the graph of the gradient (or of
// J^T u for the GGN) is built once and reused by every application (saves a forward and a
// backward per product, costs the graph's memory); `always` keeps the graph of every chunk.
//
// Conventions (each recorded by `conventions()` and stored with every spectrum):
//   loss           cross_entropy: mean over S of -log softmax(f)_y (PyTorch's cross_entropy);
//                  squared: mean over S of (1/2) ||f - onehot(y)||^2 (H_out = I);
//   weight decay   excluded (an L2 penalty nu/2 ||w||^2 would add nu I);
//   BatchNorm      eval (default): running statistics; the loss is separable and H_S =
//                  (1/|S|) sum h_i exactly. train: every BN layer uses the statistics of its
//                  forward chunk (so H_S depends on chunk_size, recorded); dropout stays off;
//                  the running buffers are saved and restored around every forward
//                  (docs/theory.md 5.3). The caller's model is never modified: the operator works
//                  on its own copy of the weights and buffers.
//   inputs         the Transform given (the test-time transform: no augmentation);
//   dtype          float64 or float32 inside (automatic: float64 on the CPU, float32 on CUDA);
//                  inputs, weights and products in that dtype, accumulation in float64;
//   parameters     the model's flattening order (Model::parameters(): module registration
//                  order, each tensor row-major), optionally restricted to the parameters whose
//                  names start with one of `layers` (then rows() is their total size and the
//                  coordinates are those parameters' entries, in the same order).
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/record_fields.hpp"
#include "networks/datasets.hpp"
#include "networks/models.hpp"
#include "spectral/operators.hpp"

namespace at {
class Tensor;  // LibTorch's tensor; only networks/ .cpp files, which include <torch/torch.h>, use it
}

namespace batchrmt::networks {

enum class CurvatureKind { hessian, ggn };
enum class LossKind { cross_entropy, squared };
enum class BatchNormPolicy { eval, train };
enum class ComputeDtype { automatic, float32, float64 };
enum class GraphReuse { automatic, always, never };
// Where Lanczos keeps its Krylov basis (networks/device_lanczos.hpp): host memory, the
// operator's device, or automatic (the device for a CUDA operator with full reorthogonalisation).
enum class LanczosBasisPlacement { automatic, host, device };

CurvatureKind parse_curvature_kind(const std::string& s);  // "hessian" | "ggn"
LossKind parse_loss_kind(const std::string& s);            // "cross-entropy" | "squared"
BatchNormPolicy parse_batchnorm_policy(const std::string& s);  // "eval" | "train"
ComputeDtype parse_compute_dtype(const std::string& s);    // "auto" | "float32" | "float64"
GraphReuse parse_graph_reuse(const std::string& s);        // "auto" | "always" | "never"
LanczosBasisPlacement parse_lanczos_basis(const std::string& s,  // "auto" | "host" | "device"
                                          const std::string& name = "--lanczos-basis");
std::string to_string(CurvatureKind k);
std::string to_string(LossKind k);
std::string to_string(BatchNormPolicy p);
std::string to_string(ComputeDtype d);
std::string to_string(GraphReuse r);
std::string to_string(LanczosBasisPlacement p);

struct CurvatureOptions {
  CurvatureKind kind = CurvatureKind::hessian;
  LossKind loss = LossKind::cross_entropy;
  BatchNormPolicy batchnorm = BatchNormPolicy::eval;
  ComputeDtype dtype = ComputeDtype::automatic;
  std::int64_t chunk_size = 512;  // samples per forward chunk (train-mode BN: the BN batch)
  GraphReuse reuse = GraphReuse::automatic;
  std::vector<std::string> layers;  // parameter-name prefixes; empty: every parameter
  std::string device;               // empty: the model's device
};

// Matrix-free Hessian / GGN of the mean loss of `model` over `indices` of `data`. A cheap,
// copyable handle (copies share the state; not for concurrent use from several threads).
class CurvatureOperator {
 public:
  CurvatureOperator() = default;
  CurvatureOperator(const Model& model, const Dataset& data, const Transform& transform,
                    std::vector<std::size_t> indices, const CurvatureOptions& options = {});

  // The operator concept (docs/theory.md 5.5's H q_j): y = H_S x, both of length rows().
  Eigen::Index rows() const;
  void apply(const double* x, double* y) const;
  Eigen::VectorXd apply(const Eigen::VectorXd& x) const;
  // The share of `shard` (of `shards`) in y = H_S x: sum over its chunks c of (|c|/|S|) HVP_c(x),
  // the chunks dealt out in contiguous blocks (shard r gets chunks [rC/R, (r+1)C/R)); y = 0 for a
  // shard without chunks. Summing the shards' y gives apply(x) up to float64 rounding (the data
  // parallelism of networks/data_parallel.hpp). Chunks keep their boundaries, so train-mode BN
  // batches are those of the single-process run.
  void apply_shard(const double* x, double* y, int shard, int shards) const;
  // y = H_S x without leaving the operator's device (options().device): x is a vector of rows()
  // entries there (any floating dtype; used in the compute dtype), y float64 there. The tensor
  // form of apply() for drivers whose vectors live on a GPU (networks/device_lanczos.cpp);
  // counted like apply().
  at::Tensor apply_on_device(const at::Tensor& x) const;

  // The same network copy, data and options on another index set / kind (no new model copy).
  CurvatureOperator with_indices(std::vector<std::size_t> indices) const;
  CurvatureOperator with_kind(CurvatureKind kind) const;
  CurvatureOperator with_chunk_size(std::int64_t chunk_size) const;  // same graph-reuse rule

  std::size_t samples() const;
  const std::vector<std::size_t>& indices() const;
  const CurvatureOptions& options() const;  // dtype resolved (never automatic)
  const ModelSpec& model_spec() const;
  std::size_t dataset_size() const;
  int classes() const;
  // The operator's coordinates: the (restricted) parameters in flattening order, offsets
  // counted within the operator.
  std::vector<ParameterInfo> parameters() const;
  std::vector<double> weights() const;  // current values of those coordinates

  double loss() const;                     // mean loss over the index set
  Eigen::VectorXd gradient() const;        // mean gradient (chunked, float64 accumulation)
  void gradient(double* g) const;          // the same into g (rows() entries), no allocation of ours
  at::Tensor gradient_on_device() const;   // the same, float64, left on the operator's device
  // Mean gradient with the coordinates moved to w + delta (restored afterwards): the
  // finite-difference check of docs/theory.md 5.2.
  Eigen::VectorXd gradient_at(const Eigen::VectorXd& delta) const;

  // Per-sample products (docs/theory.md 5.7): for each k, each vector j, calls
  //   sink(k, j, h_{samples[k]} v_j)   (or g_i v_j for the GGN; length rows()),
  // one forward and one backward per sample plus one double backward per vector. Needs
  // eval-mode BatchNorm (per-sample Hessians are undefined in train mode): InvalidInput else.
  // `samples` are dataset indices.
  void per_sample_products(const std::vector<std::size_t>& samples, const std::vector<Eigen::VectorXd>& vectors,
                           const std::function<void(std::size_t k, std::size_t j, const Eigen::VectorXd& hv)>& sink) const;

  // Counters of this handle's state (apply only).
  std::int64_t applications() const;
  double apply_seconds() const;
  void reset_counters() const;
  // Conventions as key -> value text (stored as HDF5 attributes).
  std::map<std::string, std::string> conventions() const;

  struct State;  // implementation (networks/curvature.cpp)

 private:
  std::shared_ptr<State> s_;
};

// H_batch - H_full (docs/theory.md 5.4, the fluctuation eps_B itself; the authors' hess_noise_vec
// is its negative). Both operators must have the same rows(); `full` may be a CurvatureOperator
// or a product spread over MPI ranks (networks/data_parallel.hpp).
spectral::AnyOperator make_fluctuation_operator(const CurvatureOperator& batch, const spectral::AnyOperator& full);

// A model from a training checkpoint without LibTorch in the caller: `path` is either an
// epoch-NNNNNN.pt checkpoint, or a RUN.h5 written by `batchrmt train` together with `epoch`
// (its /train checkpoint_dir is used). Throws InvalidInput for a missing checkpoint.
Model load_checkpoint_model(const std::string& path, int epoch, const std::string& device);
// Recomputes the BatchNorm running statistics of `model` in place as the cumulative average
// over one pass of `data` in batches of `batch_size` with `transform` (SWAG's bn_update, which
// the authors ran before measuring, docs/theory.md 5.3). No-op without BatchNorm.
void recompute_batchnorm(Model& model, const Dataset& data, const Transform& transform, std::int64_t batch_size);
// The checkpoint file that load_checkpoint_model reads.
std::string resolve_checkpoint_path(const std::string& path, int epoch);

// ---------------------------------------------------------------- per-sample noise (5.7)

// V_phi = (1/N) sum_i ||u_i||^2 and W_phi = (1/N) sum_i (phi^T u_i)^2 with u_i = h_i phi - H phi,
// estimated on a without-replacement subsample of M of the N samples (unbiased; standard
// errors with the finite-population correction sqrt(1 - M/N)); c_k = (1/N) sum_i (phi_k^T u_i)^2
// for the other spikes phi_k. Implemented in networks/per_sample.cpp.
struct NoiseEstimate {
  double lambda = 0;           // phi^T H phi (Rayleigh quotient of the given phi)
  double v_phi = 0, v_phi_se = 0;
  double w_phi = 0, w_phi_se = 0;
  double v_perp = 0, v_perp_se = 0;  // V_phi - W_phi
  std::vector<double> c, c_se;       // per other spike k
  std::size_t samples = 0;           // M
  std::size_t population = 0;        // N
  std::vector<std::size_t> indices;  // the M dataset indices
  std::vector<double> norm2;         // ||u_i||^2 per sample
  std::vector<double> proj2;         // (phi^T u_i)^2 per sample
  double h_phi_residual = 0;         // ||H phi - lambda phi|| of the full operator
  double seconds = 0;
};
// Mean and finite-population standard error of a without-replacement sample of a population
// of size N: se = sd * sqrt((1 - M/N) / M) (sd with divisor M - 1; 0 when M = N); core/statistics.hpp's
// summarize(x, N).
void sample_mean_se(const std::vector<double>& x, std::size_t N, double& mean, double& se);
// `full` is the full-data operator (its index set is the population), `phi` a unit vector,
// `others` further unit eigenvectors (other spikes), `samples` the dataset indices to use.
NoiseEstimate estimate_noise(const CurvatureOperator& full, const Eigen::VectorXd& phi,
                             const std::vector<Eigen::VectorXd>& others, const std::vector<std::size_t>& samples);
// Same, for several directions at once (one forward+backward per sample, one double backward
// per direction): result[d] belongs to phis[d]; `others` are used for direction 0 only.
// over_ranks (collective, networks/data_parallel.hpp): H phi is spread over the MPI ranks and
// rank r takes the samples [rM/R, (r+1)M/R); the per-sample values are gathered on rank 0, which
// alone returns the estimates (the other ranks get NaN statistics).
std::vector<NoiseEstimate> estimate_noise_multi(const CurvatureOperator& full, const std::vector<Eigen::VectorXd>& phis,
                                                const std::vector<Eigen::VectorXd>& others,
                                                const std::vector<std::size_t>& samples, bool over_ranks = false);

// ---------------------------------------------------------------- self-check (docs/curvature.md)

struct CheckItem {
  std::string name;
  double value = 0;      // the measured discrepancy
  double tolerance = 0;  // pass when value <= tolerance
  bool passed = false;
  std::string detail;
};
struct SelfCheckReport {
  std::vector<CheckItem> items;
  bool passed() const;
};
// On the index set of `op`, in float64 (a float64 copy is made when op computes in float32):
// HVP vs central finite differences of gradients along a random unit vector (relative error,
// tol 1e-5), symmetry u^T H v = v^T H u (relative, tol 1e-10), GGN = Hessian for the `linear`
// model (relative, 1e-10), GGN positive semidefinite (Rayleigh quotients of 8 random vectors
// and the smallest Ritz value of a 30-step Lanczos run >= -1e-10 * top), chunked = single pass
// (relative 1e-12).
SelfCheckReport curvature_self_check(const CurvatureOperator& op, std::uint64_t seed);

// ---------------------------------------------------------------- spectrum measurement

inline constexpr std::int64_t kFullBatch = 0;  // batch size "full" in SpectrumRequest::batch_sizes

// Random streams (seed = SpectrumRequest::seed), recorded in the HDF5 attributes:
inline constexpr std::uint64_t kSubsetStream = 0;                 // + s: indices of subset s (nested across B)
inline constexpr std::uint64_t kBatchLanczosStream = 0x4c000000;  // + s: Lanczos start of subset s (every B)
inline constexpr std::uint64_t kFullLanczosStream = 0x4c100000;   // Lanczos start of the full operator
inline constexpr std::uint64_t kNoiseStream = 0x4e000000;         // noise subsample (first M of a permutation)
inline constexpr std::uint64_t kSlqStream = 0x51000000;           // + 1000 s + probe

struct SpectrumRequest {
  Model model;            // weights to measure (checkpoint or initialisation)
  Dataset data;           // the training split: the population (N = data.size())
  Transform transform;    // test-time transform
  CurvatureOptions curvature;
  std::vector<std::int64_t> batch_sizes{kFullBatch};  // kFullBatch (0) = full
  int subsets = 10;                    // K subsets per batch size
  // Per entry of batch_sizes (the full entry's value is ignored): K for that B; empty: `subsets`
  // for every B. More subsets where the spread over subsets is largest (small B).
  std::vector<int> subsets_per_batch;
  int subsets_for(std::size_t batch_index) const {
    return batch_index < subsets_per_batch.size() ? subsets_per_batch[batch_index] : subsets;
  }
  std::size_t lanczos_steps = 100;     // m per batch run
  std::size_t full_lanczos_steps = 0;  // m of the full-data run (0: lanczos_steps)
  std::size_t noise_samples = 0;       // M for V_phi (0: no noise / prediction)
  std::size_t spikes = 0;              // top Ritz vectors of H_full used as spikes (0: min(C-1, 10))
  std::size_t top_k = 0;               // Spectra top-k per batch run in addition (0: none)
  std::size_t slq_probes = 0;          // SLQ probes per batch run (0: none)
  // Lanczos also on eps_B = H_B - H_full per subset (docs/theory.md 5.8): its extremes and the Weyl
  // bound top_B <= lambda_full + lambda_max(eps_B). Each step costs a full-data product.
  std::size_t fluctuation_steps = 0;   // 0: not measured
  bool store_vectors = true;           // spike vectors in /spectrum/full (when P (K + 1) <= 2e7)
  // Lanczos reorthogonalisation of every run (docs/theory.md 5.5): full (default, 2 passes) or
  // selective; basis float64 (default) or float32 (half the memory traffic for large P).
  bool selective_reorthogonalization = false;
  bool fp32_basis = false;
  // Where each run keeps its basis (networks/device_lanczos.hpp); a full-data run spread over
  // MPI ranks keeps it on rank 0's host, where its products are reduced.
  LanczosBasisPlacement lanczos_basis = LanczosBasisPlacement::automatic;
  std::uint64_t seed = 0;
  // Collective over the MPI ranks (networks/data_parallel.hpp; no-op without mpirun): every
  // rank calls measure_spectrum_core with the same request, rank 0 with the sink. Full-data
  // products are spread over the ranks, the noise samples split, the (B, subset) runs dealt out;
  // rank 0 alone returns the result (the other ranks get N, P and the conventions).
  bool over_ranks = false;
  std::map<std::string, std::string> attributes;  // extra provenance (checkpoint, epoch, dataset, ...)
  std::function<void(const std::string&)> log;    // progress messages (may be empty)
};

struct SubsetMeasurement {
  int subset = 0;
  std::uint64_t seed = 0, index_stream = 0, lanczos_stream = 0;
  double top = 0, top_residual = 0, bottom = 0, bottom_residual = 0;
  std::vector<double> top_k;  // Spectra values (descending) when requested
  // eps_B = H_B - H_full (NaN unless fluctuation_steps > 0): extremes with residuals, and
  // weyl_slack = lambda_full + eps_top + eps_top_residual + top_residual + lambda_full_residual - top
  // (>= 0 when the Weyl bound holds within the Ritz residuals).
  double eps_top = 0, eps_top_residual = 0, eps_bottom = 0, eps_bottom_residual = 0, weyl_slack = 0;
  std::size_t steps = 0;
  std::int64_t applications = 0;
  double seconds = 0;
  std::string status;
};

struct BatchRow {
  std::int64_t B = 0;  // N for the full row
  bool full = false;
  double kappa = 0;
  std::vector<SubsetMeasurement> subsets;
  double top_mean = 0, top_se = 0, top_sd = 0;  // se, sd: NaN with one subset
  double bottom_mean = 0, bottom_se = 0, bottom_sd = 0;
  // eps_B extremes over the subsets and the smallest Weyl slack (NaN unless measured).
  double eps_top_mean = 0, eps_top_se = 0, eps_bottom_mean = 0, eps_bottom_se = 0, weyl_min_slack = 0;
  // docs/theory.md 5.7 (NaN unless the noise was measured):
  double predicted_top = 0;         // first order lambda + kappa V_phi / lambda
  double predicted_top_second = 0;  // refined: lambda + kappa [V_perp/lambda + sum c_k (1/(lambda-lambda_k) - 1/lambda)];
                                    // NaN when another spike is degenerate with lambda (e.g. linear at w = 0)
  double predicted_top_sd = 0;      // sqrt(kappa W_phi): sd over subsets
  double q = 0;                     // kappa V_phi / lambda^2
  double predicted_bottom = 0;      // lambda_min + kappa V_min / lambda_min
  double predicted_bottom_second = 0;
};

struct SpectrumResult {
  std::int64_t N = 0, P = 0;
  std::map<std::string, std::string> conventions;
  // Full-data operator (NaN when not measured).
  double lambda_full = 0, lambda_full_residual = 0;
  double bottom_full = 0, bottom_full_residual = 0;
  std::vector<double> spike_values, spike_residuals;  // top Ritz values of H_full used as spikes (descending)
  std::optional<NoiseEstimate> noise_top, noise_bottom;
  std::vector<BatchRow> rows;  // in the order of batch_sizes
};

// Where the measurement keeps its units (resume). networks/ links neither HDF5 nor theory/:
// verify/spectrum_measurement.hpp adapts an outputs::Store to this interface and adds the
// theory-layer predictions (that is the entry point for apps/ and verify/). A unit is a record of
// networks/spectrum_units.hpp, passed as its values (core/record_fields.hpp).
class SpectrumSink {
 public:
  virtual ~SpectrumSink() = default;
  // The fields of `schema` of a complete unit, or nothing (then the unit is computed and saved).
  // A complete unit that lacks a required field is an error, not a unit to recompute.
  virtual std::optional<RecordValues> load(const std::string& unit, const RecordValues& schema) = 0;
  // Writes the unit and marks it complete (the last write).
  virtual void save(const std::string& unit, const RecordValues& values) = 0;
};

// Runs the measurement without predictions (BatchRow::predicted_* and kappa are NaN; they need
// theory/: use measure_spectrum of verify/spectrum_measurement.hpp). With a sink, the full run
// (/spectrum/full), the noise estimate (/spectrum/noise) and every (B, subset) Lanczos run
// (/spectrum/B=<B>/subset=<s>) are units; complete units are read back, not recomputed.
SpectrumResult measure_spectrum_core(const SpectrumRequest& request, SpectrumSink* sink);

}  // namespace batchrmt::networks
