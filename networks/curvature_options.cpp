// The curvature operator's option names, the fluctuation operator and checkpoint paths: the
// parts of networks/curvature.hpp that need no LibTorch (docs/curvature.md).
#include <filesystem>

#include "core/enum_names.hpp"
#include "core/errors.hpp"
#include "networks/curvature.hpp"
#include "networks/training.hpp"

namespace batchrmt::networks {

// ---------------------------------------------------------------- option names

namespace {
constexpr EnumNames<CurvatureKind, 2> kCurvatureKindNames{{{CurvatureKind::hessian, "hessian"}, {CurvatureKind::ggn, "ggn"}}};
constexpr EnumNames<LossKind, 4> kLossNames{{{LossKind::cross_entropy, "cross-entropy"},
                                             {LossKind::squared, "squared"},
                                             {LossKind::cross_entropy, "cross_entropy"},
                                             {LossKind::squared, "mse"}}};
constexpr EnumNames<BatchNormPolicy, 2> kBatchNormNames{{{BatchNormPolicy::eval, "eval"}, {BatchNormPolicy::train, "train"}}};
constexpr EnumNames<ComputeDtype, 5> kDtypeNames{{{ComputeDtype::automatic, "auto"},
                                                  {ComputeDtype::float32, "float32"},
                                                  {ComputeDtype::float64, "float64"},
                                                  {ComputeDtype::float32, "fp32"},
                                                  {ComputeDtype::float64, "fp64"}}};
constexpr EnumNames<GraphReuse, 3> kGraphReuseNames{
    {{GraphReuse::automatic, "auto"}, {GraphReuse::always, "always"}, {GraphReuse::never, "never"}}};
}  // namespace

CurvatureKind parse_curvature_kind(const std::string& s) { return parse_enum(kCurvatureKindNames, "--curvature", s); }
LossKind parse_loss_kind(const std::string& s) { return parse_enum(kLossNames, "--loss", s); }
BatchNormPolicy parse_batchnorm_policy(const std::string& s) { return parse_enum(kBatchNormNames, "--batchnorm", s); }
ComputeDtype parse_compute_dtype(const std::string& s) { return parse_enum(kDtypeNames, "--dtype", s); }
GraphReuse parse_graph_reuse(const std::string& s) { return parse_enum(kGraphReuseNames, "--graph-reuse", s); }
std::string to_string(CurvatureKind k) { return enum_name(kCurvatureKindNames, k); }
std::string to_string(LossKind k) { return enum_name(kLossNames, k); }
std::string to_string(BatchNormPolicy p) { return enum_name(kBatchNormNames, p); }
std::string to_string(ComputeDtype d) { return enum_name(kDtypeNames, d); }
std::string to_string(GraphReuse r) { return enum_name(kGraphReuseNames, r); }

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
