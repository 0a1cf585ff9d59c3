// Progress of long work on stderr: updated in place on a terminal (with rate and ETA),
// one line per 10 % when piped or redirected, or nothing at all (quiet).
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace batchrmt {

class Progress {
 public:
  enum class Mode { automatic, terminal, lines, quiet };

  // `automatic` picks `terminal` when stderr is a TTY, `lines` otherwise.
  Progress(std::string label, std::size_t total, Mode mode = Mode::automatic);
  // For tests: write to `out` instead of stderr (never `automatic`).
  Progress(std::string label, std::size_t total, Mode mode, std::ostream& out);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::size_t steps = 1);
  // Prints the final line (total, elapsed, rate); called by the destructor if not before.
  void finish();

  std::size_t done() const noexcept { return done_; }
  Mode mode() const noexcept { return mode_; }

  // "12.3 s", "4 min 05 s", "1 h 02 min".
  static std::string format_duration(double seconds);

 private:
  void render(bool final_line);

  std::string label_;
  std::size_t total_;
  std::size_t done_ = 0;
  Mode mode_;
  std::ostream* out_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_render_;
  int last_decile_ = -1;
  bool finished_ = false;
};

}  // namespace batchrmt
