#include "core/mpi_context.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"

#ifdef BATCHRMT_WITH_MPI
#include <mpi.h>
#endif

namespace batchrmt {

namespace {
bool launched_by_mpirun() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return true;
  return false;
}
#ifdef BATCHRMT_WITH_MPI
constexpr std::size_t kPiece = static_cast<std::size_t>(INT_MAX) / 2;  // elements per MPI call

void finalize_mpi() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw IoError(std::string("MPI ") + what + " failed with code " + std::to_string(rc) + ".");
}
template <class T>
void send_counted(const T* data, std::uint64_t n, MPI_Datatype type, int dest, int tag) {
  check(MPI_Send(&n, 1, MPI_UINT64_T, dest, tag, MPI_COMM_WORLD), "send");
  for (std::uint64_t b = 0; b < n; b += kPiece)
    check(MPI_Send(data + b, static_cast<int>(std::min<std::uint64_t>(kPiece, n - b)), type, dest, tag, MPI_COMM_WORLD), "send");
}
template <class T>
std::vector<T> receive_counted(MPI_Datatype type, int source, int tag) {
  std::uint64_t n = 0;
  check(MPI_Recv(&n, 1, MPI_UINT64_T, source, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receive");
  std::vector<T> out(n);
  for (std::uint64_t b = 0; b < n; b += kPiece)
    check(MPI_Recv(out.data() + b, static_cast<int>(std::min<std::uint64_t>(kPiece, n - b)), type, source, tag, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE),
          "receive");
  return out;
}
#endif
}  // namespace

bool MpiContext::built_with_mpi() {
#ifdef BATCHRMT_WITH_MPI
  return true;
#else
  return false;
#endif
}

MpiContext::MpiContext() {
#ifdef BATCHRMT_WITH_MPI
  if (!launched_by_mpirun()) return;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    std::atexit(finalize_mpi);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
  if (launched_by_mpirun() && std::getenv("OMPI_COMM_WORLD_SIZE") && std::string(std::getenv("OMPI_COMM_WORLD_SIZE")) != "1")
    throw InvalidInput("this batchrmt was built without MPI (BATCHRMT_WITH_MPI=OFF), but it was started by mpirun with several ranks.");
#endif
}

int MpiContext::local_rank() const {
  if (!active()) return -1;
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char* v = std::getenv(var)) {
      try {
        return std::stoi(v);
      } catch (const std::exception&) {
      }
    }
  return -1;
}

MpiContext& MpiContext::instance() {
  static MpiContext ctx;
  return ctx;
}

void MpiContext::send(const std::vector<double>& data, int dest, int tag) const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) send_counted(data.data(), data.size(), MPI_DOUBLE, dest, tag);
#else
  (void)data, (void)dest, (void)tag;
#endif
}

std::vector<double> MpiContext::receive(int source, int tag) const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) return receive_counted<double>(MPI_DOUBLE, source, tag);
#else
  (void)source, (void)tag;
#endif
  return {};
}

void MpiContext::send_bytes(const std::vector<std::uint8_t>& data, int dest, int tag) const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) send_counted(data.data(), data.size(), MPI_UINT8_T, dest, tag);
#else
  (void)data, (void)dest, (void)tag;
#endif
}

std::vector<std::uint8_t> MpiContext::receive_bytes(int source, int tag) const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) return receive_counted<std::uint8_t>(MPI_UINT8_T, source, tag);
#else
  (void)source, (void)tag;
#endif
  return {};
}

void MpiContext::broadcast(std::vector<std::uint8_t>& data) const {
#ifdef BATCHRMT_WITH_MPI
  if (!active()) return;
  std::uint64_t n = data.size();
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "broadcast");
  data.resize(n);
  for (std::uint64_t b = 0; b < n; b += kPiece)
    check(MPI_Bcast(data.data() + b, static_cast<int>(std::min<std::uint64_t>(kPiece, n - b)), MPI_UINT8_T, 0, MPI_COMM_WORLD),
          "broadcast");
#else
  (void)data;
#endif
}

void MpiContext::broadcast(std::vector<double>& data) const {
#ifdef BATCHRMT_WITH_MPI
  if (!active()) return;
  std::uint64_t n = data.size();
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "broadcast");
  data.resize(n);
  broadcast(data.data(), n);
#else
  (void)data;
#endif
}

void MpiContext::broadcast(double* data, std::size_t n) const {
#ifdef BATCHRMT_WITH_MPI
  if (!active()) return;
  for (std::size_t b = 0; b < n; b += kPiece)
    check(MPI_Bcast(data + b, static_cast<int>(std::min(kPiece, n - b)), MPI_DOUBLE, 0, MPI_COMM_WORLD), "broadcast");
#else
  (void)data, (void)n;
#endif
}

void MpiContext::broadcast(std::int64_t& value) const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) check(MPI_Bcast(&value, 1, MPI_INT64_T, 0, MPI_COMM_WORLD), "broadcast");
#else
  (void)value;
#endif
}

void MpiContext::reduce_sum(const double* in, double* out, std::size_t n) const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) {
    for (std::size_t b = 0; b < n; b += kPiece) {
      const int count = static_cast<int>(std::min(kPiece, n - b));
      if (rank_ == 0)
        check(MPI_Reduce(in == out ? MPI_IN_PLACE : in + b, out + b, count, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD), "reduce");
      else
        check(MPI_Reduce(in + b, nullptr, count, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD), "reduce");
    }
    return;
  }
#endif
  if (in != out) std::copy(in, in + n, out);
}

void MpiContext::barrier() const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) check(MPI_Barrier(MPI_COMM_WORLD), "barrier");
#endif
}

void MpiContext::abort(int code) const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) MPI_Abort(MPI_COMM_WORLD, code);
#else
  (void)code;
#endif
}

}  // namespace batchrmt
