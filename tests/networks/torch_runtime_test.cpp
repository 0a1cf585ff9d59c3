// The process-wide LibTorch settings (networks/torch_runtime.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "networks/torch_runtime.hpp"

namespace nw = batchrmt::networks;

#ifdef __GLIBC__
// keep_tensor_memory_in_process: after it, a block far above glibc's largest mmap threshold
// (32 MiB) comes from the heap, and freeing it keeps it there for the next one.
TEST(TorchRuntime, LargeBlocksComeFromTheHeapAndAreReused) {
  ASSERT_TRUE(nw::keep_tensor_memory_in_process());
  const std::size_t bytes = std::size_t(96) << 20;
  const auto mapped_before = mallinfo2().hblks;
  auto* a = static_cast<volatile char*>(std::malloc(bytes));
  ASSERT_NE(a, nullptr);
  a[0] = 1;
  a[bytes - 1] = 1;
  EXPECT_EQ(mallinfo2().hblks, mapped_before);  // not an mmapped block
  const auto first = reinterpret_cast<std::uintptr_t>(a);
  std::free(const_cast<char*>(a));
  auto* b = static_cast<char*>(std::malloc(bytes));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b), first);  // the same heap memory again
  std::free(b);
}
#endif
