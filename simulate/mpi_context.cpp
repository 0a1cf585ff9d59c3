#include "simulate/mpi_context.hpp"

#include <cstdlib>
#include <string>

#include "core/errors.hpp"

#ifdef BATCHRMT_WITH_MPI
#include <mpi.h>
#endif

namespace batchrmt::simulate {

namespace {
bool launched_by_mpirun() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return true;
  return false;
}
#ifdef BATCHRMT_WITH_MPI
void finalize_mpi() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw IoError(std::string("MPI ") + what + " failed with code " + std::to_string(rc) + ".");
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

MpiContext& MpiContext::instance() {
  static MpiContext ctx;
  return ctx;
}

void MpiContext::send(const std::vector<double>& data, int dest, int tag) const {
#ifdef BATCHRMT_WITH_MPI
  if (!active()) return;
  const std::uint64_t n = data.size();
  check(MPI_Send(&n, 1, MPI_UINT64_T, dest, tag, MPI_COMM_WORLD), "send");
  if (n) check(MPI_Send(data.data(), static_cast<int>(n), MPI_DOUBLE, dest, tag, MPI_COMM_WORLD), "send");
#else
  (void)data, (void)dest, (void)tag;
#endif
}

std::vector<double> MpiContext::receive(int source, int tag) const {
  std::vector<double> out;
#ifdef BATCHRMT_WITH_MPI
  if (!active()) return out;
  std::uint64_t n = 0;
  check(MPI_Recv(&n, 1, MPI_UINT64_T, source, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receive");
  out.resize(n);
  if (n) check(MPI_Recv(out.data(), static_cast<int>(n), MPI_DOUBLE, source, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receive");
#else
  (void)source, (void)tag;
#endif
  return out;
}

void MpiContext::broadcast(std::vector<std::uint8_t>& data) const {
#ifdef BATCHRMT_WITH_MPI
  if (!active()) return;
  std::uint64_t n = data.size();
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "broadcast");
  data.resize(n);
  if (n) check(MPI_Bcast(data.data(), static_cast<int>(n), MPI_UINT8_T, 0, MPI_COMM_WORLD), "broadcast");
#else
  (void)data;
#endif
}

void MpiContext::barrier() const {
#ifdef BATCHRMT_WITH_MPI
  if (active()) check(MPI_Barrier(MPI_COMM_WORLD), "barrier");
#endif
}

}  // namespace batchrmt::simulate
