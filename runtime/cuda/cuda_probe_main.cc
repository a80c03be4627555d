// Prints "ok" and exits 0 when a CUDA device is visible; otherwise prints the reason and exits 3.
#include <cstdio>
#include <string>

#include "runtime/cuda/kernel_table.h"

int main() {
  const absl::Status s = tp::rt::CudaDeviceStatus();
  if (s.ok()) {
    std::printf("ok\n");
    return 0;
  }
  std::printf("%s\n", std::string(s.message()).c_str());
  return 3;
}
