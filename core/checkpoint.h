// A checkpoint as every reader returns it and every writer takes it: ordered named tensors,
// ordered typed metadata, and warnings found while reading (for example a pickle naming a
// dangerous global).
#ifndef TENSORPORT_CORE_CHECKPOINT_H_
#define TENSORPORT_CORE_CHECKPOINT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/metadata.h"
#include "core/tensor.h"

namespace tp {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct Checkpoint {
  std::string format;  // registry id of the reader that produced it
  std::vector<NamedTensor> tensors;
  Metadata metadata;
  std::vector<std::string> warnings;

  const Tensor* Find(absl::string_view name) const {
    for (const NamedTensor& t : tensors) {
      if (t.name == name) return &t.tensor;
    }
    return nullptr;
  }
};

}  // namespace tp

#endif  // TENSORPORT_CORE_CHECKPOINT_H_
