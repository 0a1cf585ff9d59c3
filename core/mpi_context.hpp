// MPI for the whole suite (OpenMPI; optional at build time: BATCHRMT_WITH_MPI). MPI is
// initialised only when the process was started by mpirun/mpiexec (detected from the
// launcher's environment), so the binary runs unchanged without it; every collective below
// is then a no-op (one rank). Used by the Monte-Carlo runner (units spread over ranks) and by
// the data-parallel curvature of networks/ (products reduced over the ranks' sample shards).
// Communication is MPI_COMM_WORLD, blocking, on contiguous float64 / byte buffers; counts above
// 2^31 - 1 are sent in pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace batchrmt {

class MpiContext {
 public:
  static MpiContext& instance();
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  bool active() const noexcept { return size_ > 1; }
  bool is_writer() const noexcept { return rank_ == 0; }
  // Rank among the processes of this node, from the launcher's environment
  // (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, SLURM_LOCALID); -1 when inactive or unknown.
  int local_rank() const;
  static bool built_with_mpi();

  // Point-to-point transfer (rank -> dest) with a tag; no-ops when inactive.
  void send(const std::vector<double>& data, int dest, int tag) const;
  std::vector<double> receive(int source, int tag) const;
  void send_bytes(const std::vector<std::uint8_t>& data, int dest, int tag) const;
  std::vector<std::uint8_t> receive_bytes(int source, int tag) const;
  // Broadcast from rank 0 (the vector is resized on the other ranks).
  void broadcast(std::vector<std::uint8_t>& data) const;
  void broadcast(std::vector<double>& data) const;
  void broadcast(double* data, std::size_t n) const;
  void broadcast(std::int64_t& value) const;
  // out (rank 0 only; may alias in) = sum over the ranks of in (MPI_Reduce, MPI_SUM). The other
  // ranks' `out` is untouched.
  void reduce_sum(const double* in, double* out, std::size_t n) const;
  void barrier() const;
  // Ends every rank with `code` (MPI_Abort) so that no rank waits forever on a collective the
  // failed rank will not reach; returns only when MPI is inactive.
  void abort(int code) const;

 private:
  MpiContext();
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace batchrmt
