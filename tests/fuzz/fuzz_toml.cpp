// Fuzz target: experiment configurations (core/config, toml++) from arbitrary text, then a
// few typed reads of keys the configs use (see fuzz_idx.cpp for what counts as a finding).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "core/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto c = batchrmt::Config::parse(text, "fuzz.toml");
    // Keys that do not nest in one another (a program reads "x" or "x.y", never both).
    for (const char* key : {"a", "v1.trials", "c2.batch_sizes", "spectrum.model", "t.d"}) {
      try {
        (void)c.number(key, 1.0);
      } catch (const batchrmt::Error&) {
      }
      try {
        (void)c.integer(key, 1);
      } catch (const batchrmt::Error&) {
      }
      try {
        (void)c.text(key, "x");
      } catch (const batchrmt::Error&) {
      }
      try {
        (void)c.numbers(key, {});
      } catch (const batchrmt::Error&) {
      }
      try {
        (void)c.integers(key, {});
      } catch (const batchrmt::Error&) {
      }
      try {
        (void)c.texts(key, {});
      } catch (const batchrmt::Error&) {
      }
      try {
        (void)c.flag(key, false);
      } catch (const batchrmt::Error&) {
      }
    }
    (void)c.resolved().dump();
  } catch (const batchrmt::Error&) {
  }
  return 0;
}
