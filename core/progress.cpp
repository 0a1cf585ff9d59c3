#include "core/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace batchrmt {

namespace {
Progress::Mode resolve(Progress::Mode mode) {
  if (mode != Progress::Mode::automatic) return mode;
  return ::isatty(STDERR_FILENO) ? Progress::Mode::terminal : Progress::Mode::lines;
}
}  // namespace

Progress::Progress(std::string label, std::size_t total, Mode mode)
    : Progress(std::move(label), total, resolve(mode), std::cerr) {}

Progress::Progress(std::string label, std::size_t total, Mode mode, std::ostream& out)
    : label_(std::move(label)),
      total_(total),
      mode_(mode == Mode::automatic ? Mode::lines : mode),
      out_(&out),
      start_(std::chrono::steady_clock::now()),
      last_render_(start_) {}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
  }
}

void Progress::advance(std::size_t steps) {
  done_ += steps;
  if (mode_ == Mode::quiet) return;
  const auto now = std::chrono::steady_clock::now();
  if (mode_ == Mode::terminal) {
    if (now - last_render_ >= std::chrono::milliseconds(200) || done_ >= total_) {
      last_render_ = now;
      render(false);
    }
  } else if (total_ > 0) {
    const int decile = static_cast<int>((10 * std::min(done_, total_)) / total_);
    if (decile > last_decile_ && decile < 10) {
      last_decile_ = decile;
      render(false);
    }
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (mode_ != Mode::quiet) render(true);
}

std::string Progress::format_duration(double seconds) {
  char buf[64];
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else if (seconds < 3600) {
    const long s = std::lround(seconds);
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  } else {
    const long m = std::lround(seconds / 60);
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", m / 60, m % 60);
  }
  return buf;
}

void Progress::render(bool final_line) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  std::ostringstream line;
  line << label_ << ": " << done_;
  if (total_ > 0) line << "/" << total_ << " (" << (100 * std::min(done_, total_) / total_) << " %)";
  line.setf(std::ios::fixed);
  line.precision(rate >= 10 ? 0 : 2);
  line << ", " << rate << "/s";
  if (final_line) {
    line << ", done in " << format_duration(elapsed);
  } else if (total_ > 0 && rate > 0 && done_ < total_) {
    line << ", ETA " << format_duration(static_cast<double>(total_ - done_) / rate);
  }
  if (mode_ == Mode::terminal) {
    *out_ << "\r\033[K" << line.str();
    if (final_line) *out_ << '\n';
  } else {
    *out_ << line.str() << '\n';
  }
  out_->flush();
}

}  // namespace batchrmt
