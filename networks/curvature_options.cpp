// The curvature operator's option names, the fluctuation operator and checkpoint paths: the
// parts of networks/curvature.hpp that need no LibTorch (docs/curvature.md).
#include <filesystem>

#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/training.hpp"

namespace batchrmt::networks {

// ---------------------------------------------------------------- option names

CurvatureKind parse_curvature_kind(const std::string& s) {
  if (s == "hessian") return CurvatureKind::hessian;
  if (s == "ggn") return CurvatureKind::ggn;
  throw InvalidInput("--curvature is '" + s + "', but must be hessian or ggn.");
}
LossKind parse_loss_kind(const std::string& s) {
  if (s == "cross-entropy" || s == "cross_entropy") return LossKind::cross_entropy;
  if (s == "squared" || s == "mse") return LossKind::squared;
  throw InvalidInput("--loss is '" + s + "', but must be cross-entropy or squared.");
}
BatchNormPolicy parse_batchnorm_policy(const std::string& s) {
  if (s == "eval") return BatchNormPolicy::eval;
  if (s == "train") return BatchNormPolicy::train;
  throw InvalidInput("--batchnorm is '" + s + "', but must be eval or train.");
}
ComputeDtype parse_compute_dtype(const std::string& s) {
  if (s == "auto") return ComputeDtype::automatic;
  if (s == "float32" || s == "fp32") return ComputeDtype::float32;
  if (s == "float64" || s == "fp64") return ComputeDtype::float64;
  throw InvalidInput("--dtype is '" + s + "', but must be auto, float32 or float64.");
}
GraphReuse parse_graph_reuse(const std::string& s) {
  if (s == "auto") return GraphReuse::automatic;
  if (s == "always") return GraphReuse::always;
  if (s == "never") return GraphReuse::never;
  throw InvalidInput("--graph-reuse is '" + s + "', but must be auto, always or never.");
}
std::string to_string(CurvatureKind k) { return k == CurvatureKind::hessian ? "hessian" : "ggn"; }
std::string to_string(LossKind k) { return k == LossKind::cross_entropy ? "cross-entropy" : "squared"; }
std::string to_string(BatchNormPolicy p) { return p == BatchNormPolicy::eval ? "eval" : "train"; }
std::string to_string(ComputeDtype d) {
  return d == ComputeDtype::automatic ? "auto" : d == ComputeDtype::float32 ? "float32" : "float64";
}
std::string to_string(GraphReuse r) {
  return r == GraphReuse::automatic ? "auto" : r == GraphReuse::always ? "always" : "never";
}

spectral::AnyOperator make_fluctuation_operator(const CurvatureOperator& batch, const spectral::AnyOperator& full) {
  return spectral::AnyOperator(spectral::make_difference(batch, full));
}

// ---------------------------------------------------------------- checkpoints

std::string resolve_checkpoint_path(const std::string& path, int epoch) {
  namespace fs = std::filesystem;
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".pt") == 0) return path;
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".h5") == 0) {
    if (epoch < 0) throw InvalidInput("--checkpoint " + path + " is a run file; --epoch E must say which checkpoint.");
    std::string stem = path.substr(0, path.size() - 3);
    // The default checkpoint folder of `batchrmt train` (RUN.checkpoints beside RUN.h5).
    const std::string dir = stem + ".checkpoints";
    const std::string p = checkpoint_path(dir, epoch);
    if (!fs::exists(p)) {
      std::string have;
      for (int e : list_checkpoints(dir)) have += (have.empty() ? "" : ", ") + std::to_string(e);
      throw InvalidInput("the run " + path + " has no checkpoint of epoch " + std::to_string(epoch) + " in " + dir +
                         (have.empty() ? std::string(" (no checkpoints there)") : " (epochs " + have + ")") + ".");
    }
    return p;
  }
  if (fs::is_directory(path)) {
    if (epoch < 0) throw InvalidInput("--checkpoint " + path + " is a folder; --epoch E must say which checkpoint.");
    return checkpoint_path(path, epoch);
  }
  throw InvalidInput("--checkpoint is '" + path + "', but must be a RUN.h5, a checkpoint folder or an epoch-NNNNNN.pt file.");
}

}  // namespace batchrmt::networks
