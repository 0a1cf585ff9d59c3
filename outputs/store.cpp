#include "outputs/store.hpp"

#include <H5Cpp.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "core/errors.hpp"
#include "outputs/read_guard.hpp"
#include "outputs/store_hdf5.hpp"

namespace fs = std::filesystem;

namespace batchrmt::outputs {

using namespace store_detail;

std::string hdf5_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

// ---------------------------------------------------------------- Store

Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() { close_uncommitted(); }

namespace {

// The partial this run opened, by device and inode (commit renames only that file).
std::pair<unsigned long long, unsigned long long> file_id(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return {0, 0};
  return {static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino)};
}

std::optional<std::string> string_attribute(H5::H5File& file, const std::string& name) {
  H5::Group root = file.openGroup("/");
  if (!root.attrExists(name)) return std::nullopt;
  const auto v = read_attribute(root.openAttribute(name));
  if (!std::holds_alternative<std::string>(v)) return std::nullopt;
  return std::get<std::string>(v);
}

void write_identity(H5::H5File& file, const RunIdentity& identity) {
  H5::Group root = file.openGroup("/");
  write_attribute(root, "run_command", identity.command());
  write_attribute(root, "run_identity", identity.canonical());
  write_attribute(root, "run_fingerprint", identity.fingerprint());
}

// InvalidInput unless `file` (at `path`) holds a run of `identity`.
void check_identity(H5::H5File& file, const std::string& path, const RunIdentity& identity) {
  const std::string hint = identity.restart_hint.empty()
                               ? std::string("pass --overwrite to replace it, or choose another --out")
                               : identity.restart_hint;
  const auto command = string_attribute(file, "run_command");
  const auto stored = string_attribute(file, "run_identity");
  if (!command || !stored)
    throw InvalidInput("--resume refused: " + path + " has no run identity (it was written by an older batchrmt), so it cannot be "
                       "shown to belong to '" + identity.command() + "'; " + hint + ".");
  if (*command != identity.command())
    throw InvalidInput("--resume refused: " + path + " holds a '" + *command + "' run, not '" + identity.command() + "'; " + hint + ".");
  const auto d = identity.first_difference(RunIdentity::from_stored(*command, *stored));
  if (d)
    throw InvalidInput("--resume refused: " + d->name + " is " + d->current + " in this command but " + d->stored + " in " + path +
                       "; " + hint + ".");
}

}  // namespace

namespace {
// True when `path` passes the same checks a resume makes (the isolated structure walk, the HDF5
// signature, an open, the schema); identity is not checked here.
bool partial_is_readable(const std::string& path) {
  try {
    check_readable(path);
    if (H5Fis_hdf5(path.c_str()) <= 0) return false;
    H5::H5File probe(path, H5F_ACC_RDONLY);
    checked_schema(probe, path);
    return true;
  } catch (const H5::Exception&) {
    return false;
  } catch (const InvalidInput&) {
    return false;
  } catch (const IoError&) {
    return false;
  }
}
}  // namespace

Store Store::open(const std::string& final_path, const Provenance& provenance, OpenMode mode, const RunIdentity& identity) {
  silence_hdf5();
  if (final_path.size() < 4 || final_path.substr(final_path.size() - 3) != ".h5")
    throw InvalidInput("output path '" + final_path + "' must end in .h5.");
  Store store;
  store.final_path_ = final_path;
  const std::string partial = store.partial_path();
  std::error_code ec;
  if (fs::exists(final_path, ec) && !fs::is_regular_file(final_path, ec))
    throw InvalidInput("--out " + final_path + " is a directory or another non-file; give a file name ending in .h5.");
  if (fs::exists(partial, ec) && !fs::is_regular_file(partial, ec))
    throw InvalidInput(partial + " is a directory or another non-file, so " + final_path + " cannot be written; remove it or choose another --out.");
  const fs::path parent = fs::path(final_path).parent_path();
  if (!parent.empty() && !fs::exists(parent)) {
    fs::create_directories(parent, ec);
    if (ec) throw IoError("cannot create the output directory " + parent.string() + " (" + ec.message() + ").");
  }
  store.lock_ = OutputLock::acquire(final_path);
  const bool final_exists = fs::exists(final_path);
  const bool partial_exists = fs::exists(partial);
  if (mode == OpenMode::fresh && (final_exists || partial_exists))
    throw InvalidInput("output " + (final_exists ? final_path : partial) +
                       " already exists; pass --resume to continue it, --overwrite to replace it, or another --out.");
  if (mode == OpenMode::overwrite && partial_exists) {
    fs::remove(partial, ec);  // a dead run's (we hold the lock); the finished file stays until commit
    if (ec) throw IoError("cannot remove the old " + partial + " (" + ec.message() + ").");
  }
  bool partial_usable = partial_exists;
  if (mode == OpenMode::resume && partial_exists && !partial_is_readable(partial)) {
    // The partial is this output's own unfinished file (we hold its lock), left unreadable by a
    // run killed while HDF5 was writing its metadata. Its units cannot be read back, so it is
    // kept aside for inspection and the run starts afresh (the computation is seeded: the result
    // is the same). Never done to a finished file, which is the user's.
    const std::string aside = partial + ".corrupt";
    fs::rename(partial, aside, ec);
    if (ec) throw IoError("cannot move the unreadable " + partial + " aside to " + aside + " (" + ec.message() + ").");
    std::fprintf(stderr, "batchrmt: %s was left unreadable by a killed run; moved to %s, starting this output afresh.\n",
                 partial.c_str(), aside.c_str());
    partial_usable = false;
  }
  const bool resuming = mode == OpenMode::resume && (partial_usable || final_exists);
  if (!identity.empty()) store.fingerprint_ = identity.fingerprint();
  store.file_ = std::make_shared<FileHandle>();
  store.file_->path = partial;
  if (resuming) {
    // Check the file (the partial, else the finished file) before anything is written or copied.
    const std::string source = partial_usable ? partial : final_path;
    check_readable(source);
    if (H5Fis_hdf5(source.c_str()) <= 0)
      throw InvalidInput(source + " is not a readable HDF5 file (truncated or corrupt), so the run cannot resume; "
                         "pass --overwrite to replace it, or choose another --out.");
    try {
      H5::H5File probe(source, H5F_ACC_RDONLY);
      checked_schema(probe, source);
      if (!identity.empty()) check_identity(probe, source, identity);
    } catch (const H5::Exception& e) {
      throw InvalidInput(source + " cannot be read as HDF5 (" + detail_of(e) + "); it is truncated or corrupt, so the run cannot "
                         "resume; pass --overwrite to replace it, or choose another --out.");
    }
    if (!partial_usable) {
      // Never rename the user's finished file: add units to a copy, renamed over it on commit.
      fs::copy_file(final_path, partial, fs::copy_options::overwrite_existing, ec);
      if (ec) throw IoError("cannot copy " + final_path + " to " + partial + " to resume it (" + ec.message() + ").");
      store.created_partial_ = true;
    }
  } else {
    store.created_partial_ = true;
  }
  try {
    if (resuming) {
      store.file_->file = H5::H5File(partial, H5F_ACC_RDWR);
      for (const auto& [unit, status] : collect_unit_status(store.file_->file)) {
        if (status != "complete") {
          remove_if_exists(store.file_->file, unit);
          store.discarded_.push_back(unit);
        }
      }
      H5::Group root = store.file_->file.openGroup("/");
      write_attribute(root, "run_status", std::string("partial"));
      write_attribute(root, "resumed_utc", provenance.created_utc);
      write_attribute(root, "resumed_command_line", provenance.command_line);
    } else {
      store.file_->file = H5::H5File(partial, H5F_ACC_TRUNC);
      write_provenance(store.file_->file, provenance);
      if (!identity.empty()) write_identity(store.file_->file, identity);
    }
    store.file_->file.flush(H5F_SCOPE_GLOBAL);
  } catch (const H5::Exception& e) {
    throw IoError("cannot open " + partial + " for writing (" + detail_of(e) + ").");
  }
  std::tie(store.partial_dev_, store.partial_ino_) = file_id(partial);
  return store;
}

void Store::close_uncommitted() noexcept {
  if (!file_) return;
  try {
    file_->file.close();
  } catch (...) {
  }
  file_.reset();
  // A run that created the partial, completed nothing and is ending by an exception (a
  // rejected input, a failure in its first unit) leaves nothing behind that would block the
  // corrected run. A run that stops on purpose (train --stop-after) or completed units keeps
  // its partial for --resume.
  if (created_partial_ && units_completed_ == 0 && std::uncaught_exceptions() > 0 && lock_.held() && file_id(partial_path()) == std::make_pair(partial_dev_, partial_ino_)) {
    std::error_code ec;
    fs::remove(partial_path(), ec);
  }
}

Group Store::root() const {
  if (!file_) throw IoError("the result store " + final_path_ + " is closed.");
  return Group(file_, "/");
}

std::vector<std::string> Store::complete_units() const {
  std::vector<std::string> out;
  for (const auto& [unit, status] : guarded(*file_, "/", [&] { return collect_unit_status(file_->file); }))
    if (status == "complete" && is_complete(unit)) out.push_back(unit);
  return out;
}

bool Store::is_complete(const std::string& unit_path) const {
  const std::string full = join_path("/", unit_path);
  return guarded(*file_, full, [&] {
    if (!link_exists(file_->file.getId(), full)) return false;
    H5::Group g = file_->file.openGroup(full);
    if (!g.attrExists("status")) return false;
    const auto v = read_attribute(g.openAttribute("status"));
    if (!(std::holds_alternative<std::string>(v) && std::get<std::string>(v) == "complete")) return false;
    if (fingerprint_.empty()) return true;
    // A unit computed under another identity is never reused.
    if (!g.attrExists("run_fingerprint")) return false;
    const auto f = read_attribute(g.openAttribute("run_fingerprint"));
    return std::holds_alternative<std::string>(f) && std::get<std::string>(f) == fingerprint_;
  });
}

Group Store::begin_unit(const std::string& unit_path) {
  check_name(unit_path);
  const std::string full = join_path("/", unit_path);
  if (is_complete(full))
    throw InvalidInput("unit " + full + " of " + final_path_ + " is already complete; skip it when resuming.");
  guarded(*file_, full, [&] { remove_if_exists(file_->file, full); });
  Group g = root().group(full);
  g.set_attribute("status", std::string("in_progress"));
  g.set_attribute("started_utc", utc_now_iso8601());
  if (!fingerprint_.empty()) g.set_attribute("run_fingerprint", fingerprint_);
  return g;
}

void Store::complete_unit(const Group& unit) {
  unit.set_attribute("completed_utc", utc_now_iso8601());
  unit.set_attribute("status", std::string("complete"));
  flush();
  ++units_completed_;
}

void Store::set_root_attribute(const std::string& name, const AttributeValue& value) {
  root().set_attribute(name, value);
}

void Store::flush() {
  guarded(*file_, "/", [&] { file_->file.flush(H5F_SCOPE_GLOBAL); });
}

void Store::commit() {
  if (!file_) throw IoError("the result store " + final_path_ + " was already committed.");
  set_root_attribute("run_status", std::string("complete"));
  set_root_attribute("committed_utc", utc_now_iso8601());
  guarded(*file_, "/", [&] {
    file_->file.flush(H5F_SCOPE_GLOBAL);
    file_->file.close();
  });
  file_.reset();
  // Rename only the partial this run opened and still owns (it holds the lock); a partial
  // replaced behind its back is left where it is.
  if (file_id(partial_path()) != std::make_pair(partial_dev_, partial_ino_))
    throw IoError(partial_path() + " was removed or replaced by another process while this run wrote it, so it was not renamed to " +
                  final_path_ + ".");
  std::error_code ec;
  fs::rename(partial_path(), final_path_, ec);  // atomic: replaces a finished file only now
  if (ec) throw IoError("cannot rename " + partial_path() + " to " + final_path_ + " (" + ec.message() + ").");
  lock_.release();
}

// ---------------------------------------------------------------- Reader

Reader Reader::open(const std::string& path) {
  silence_hdf5();
  // A file the user hands over is bad input when missing, not HDF5 or corrupt (exit 2), and it
  // is walked in a child process first, since libhdf5 can loop forever on some corruptions.
  check_readable(path);
  Reader r;
  r.file_ = std::make_shared<FileHandle>();
  r.file_->path = path;
  r.file_->user_file = true;
  try {
    r.file_->file = H5::H5File(path, H5F_ACC_RDONLY);
    checked_schema(r.file_->file, path);
  } catch (const H5::Exception& e) {
    throw InvalidInput(path + " cannot be read as HDF5 (" + detail_of(e) + "); it is truncated or corrupt.");
  }
  return r;
}

Group Reader::root() const { return Group(file_, "/"); }

std::int64_t Reader::schema_version() const {
  return guarded(*file_, "/", [&] { return checked_schema(file_->file, file_->path); });
}

std::vector<std::string> Reader::complete_units() const {
  std::vector<std::string> out;
  for (const auto& [unit, status] : unit_status())
    if (status == "complete") out.push_back(unit);
  return out;
}

std::map<std::string, std::string> Reader::unit_status() const {
  return guarded(*file_, "/", [&] { return collect_unit_status(file_->file); });
}

}  // namespace batchrmt::outputs
