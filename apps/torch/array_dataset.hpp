// --dataset arrays --data PATH: the CLI reads the file with outputs/ (outputs/array_file.hpp)
// and hands the plain arrays to networks/ (networks::ArrayData), which never sees outputs/.
#pragma once

#include "networks/datasets.hpp"

namespace batchrmt::app {

// For data.name == "arrays": reads data.data_file into data.arrays (InvalidInput, one sentence,
// when data_file is empty or the file is refused). Other datasets: a data_file is refused, and
// nothing else changes.
void load_array_dataset(networks::DataOptions& data);

// The arrays of a file as read by outputs/: N x D becomes 1 x 1 x D, N x C x H x W keeps C x H x W.
networks::ArrayData array_data_from_file(const std::string& path);

}  // namespace batchrmt::app
