// core/system: the memory facts and helpers a run relies on.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "core/errors.hpp"
#include "core/system.hpp"

using batchrmt::advise_huge_pages;

TEST(AdviseHugePages, AdvisesOnlyTheAlignedInteriorOfALargeArray) {
  constexpr std::size_t kHuge = std::size_t(2) << 20;
  const std::size_t bytes = 16 * kHuge + 12345;
  std::unique_ptr<char[]> buffer(new char[bytes]);
  const std::size_t advised = advise_huge_pages(buffer.get(), bytes);
#ifdef __linux__
  // At most one partial huge page is lost at each end.
  EXPECT_GE(advised, bytes - 2 * kHuge);
#endif
  EXPECT_LE(advised, bytes);
  EXPECT_EQ(advised % kHuge, 0u);
  buffer[0] = 1;  // the memory stays ordinary, writable memory
  buffer[bytes - 1] = 2;
  EXPECT_EQ(buffer[0] + buffer[bytes - 1], 3);
}

TEST(AdviseHugePages, OneAlignedHugePageIsAdvisedWhole) {
  // The Krylov basis maps 2 MiB-aligned memory in whole huge pages, the smallest being one.
  constexpr std::size_t kHuge = std::size_t(2) << 20;
  std::unique_ptr<char[]> buffer(new char[2 * kHuge]);
  const auto begin = reinterpret_cast<std::uintptr_t>(buffer.get());
  void* aligned = reinterpret_cast<void*>((begin + kHuge - 1) / kHuge * kHuge);
#ifdef __linux__
  EXPECT_EQ(advise_huge_pages(aligned, kHuge), kHuge);
#else
  EXPECT_EQ(advise_huge_pages(aligned, kHuge), 0u);
#endif
}

TEST(AdviseHugePages, SmallOrNullArraysAreLeftAlone) {
  char small[1024];
  EXPECT_EQ(advise_huge_pages(small, sizeof small), 0u);
  EXPECT_EQ(advise_huge_pages(nullptr, std::size_t(64) << 20), 0u);
}

TEST(ParseByteSize, AcceptsUnitsAndNamesTheOptionOtherwise) {
  EXPECT_DOUBLE_EQ(batchrmt::parse_byte_size("--max-memory", "4G"), 4.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(batchrmt::parse_byte_size("--max-memory", "100000"), 100000.0);
  EXPECT_THROW(batchrmt::parse_byte_size("--max-memory", "lots"), batchrmt::InvalidInput);
}
