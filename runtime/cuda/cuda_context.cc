#include "runtime/cuda/cuda_context.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/cuda/device_api.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

// Cached (free) device blocks of one thread beyond this total are released to the driver.
constexpr int64_t kMaxCachedBytes = int64_t{2} << 30;

struct Block {
  void* ptr;
  int64_t capacity;
};

class BufferCache {
 public:
  ~BufferCache() {
    // At process exit the CUDA context may already be gone; errors are ignored.
    for (const Block& b : free_) DeviceFree(b.ptr);
  }

  // The smallest free block that fits without wasting more than about half of it.
  bool Take(int64_t bytes, Block* out) {
    int best = -1;
    for (int i = 0; i < static_cast<int>(free_.size()); ++i) {
      const int64_t cap = free_[i].capacity;
      if (cap >= bytes && cap <= 2 * bytes + 4096 &&
          (best < 0 || cap < free_[best].capacity)) {
        best = i;
      }
    }
    if (best < 0) return false;
    *out = free_[best];
    cached_ -= out->capacity;
    free_.erase(free_.begin() + best);
    return true;
  }

  void Give(Block b) {
    free_.push_back(b);
    cached_ += b.capacity;
    while (cached_ > kMaxCachedBytes && !free_.empty()) {
      auto largest = std::max_element(
          free_.begin(), free_.end(),
          [](const Block& x, const Block& y) { return x.capacity < y.capacity; });
      // Work queued on the stream may still use the block: cudaFree waits for the device.
      DeviceFree(largest->ptr);
      cached_ -= largest->capacity;
      free_.erase(largest);
    }
  }

  int64_t cached() const { return cached_; }

 private:
  std::vector<Block> free_;
  int64_t cached_ = 0;
};

BufferCache& Cache() {
  thread_local BufferCache cache;
  return cache;
}

struct HandleHolder {
  void* handle = nullptr;
  ~HandleHolder() {
    if (handle != nullptr) BlasDestroy(handle);
  }
};

}  // namespace

absl::Status DeviceStatus() {
  static const absl::Status* status = [] {
    int count = 0;
    const int err = GetDeviceCount(&count);
    if (err != 0) {
      ClearLastError();
      return new absl::Status(absl::UnavailableError(absl::StrCat(
          "cudaGetDeviceCount failed: ", ErrorString(err), " (", ErrorName(err), ")")));
    }
    if (count <= 0) {
      return new absl::Status(absl::UnavailableError("cudaGetDeviceCount returned 0 devices"));
    }
    return new absl::Status();
  }();
  return *status;
}

absl::Status CudaReady(const KernelContext& ctx) {
  absl::Status s = DeviceStatus();
  if (s.ok()) return s;
  return ctx.Error(absl::StatusCode::kUnavailable,
                   absl::StrCat("no usable CUDA device: ", s.message()));
}

absl::Status CudaCheck(const KernelContext& ctx, int err, absl::string_view what) {
  if (err == 0) return absl::OkStatus();
  return ctx.Error(absl::StatusCode::kInternal, absl::StrCat("CUDA error in ", what, ": ",
                                                             ErrorString(err), " (",
                                                             ErrorName(err), ")"));
}

absl::Status CublasCheck(const KernelContext& ctx, int status, absl::string_view what) {
  if (status == 0) return absl::OkStatus();
  return ctx.Error(absl::StatusCode::kInternal,
                   absl::StrCat("cuBLAS error in ", what, ": ", BlasStatusName(status)));
}

absl::StatusOr<void*> CublasHandle(const KernelContext& ctx) {
  thread_local HandleHolder holder;
  if (holder.handle == nullptr) {
    RETURN_IF_ERROR(CudaReady(ctx));
    void* h = nullptr;
    RETURN_IF_ERROR(CublasCheck(ctx, BlasCreate(&h), "cublasCreate"));
    holder.handle = h;
  }
  return holder.handle;
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(other.ptr_), bytes_(other.bytes_), capacity_(other.capacity_) {
  other.ptr_ = nullptr;
  other.bytes_ = other.capacity_ = 0;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    ptr_ = other.ptr_;
    bytes_ = other.bytes_;
    capacity_ = other.capacity_;
    other.ptr_ = nullptr;
    other.bytes_ = other.capacity_ = 0;
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() { Release(); }

void DeviceBuffer::Release() {
  if (ptr_ != nullptr) {
    // Queued work may still read the block; its next user queues behind it on the same stream.
    Cache().Give(Block{ptr_, capacity_});
    ptr_ = nullptr;
  }
}

absl::StatusOr<DeviceBuffer> DeviceBuffer::Allocate(const KernelContext& ctx, int64_t bytes) {
  if (bytes < 0) {
    return ctx.Error(absl::StatusCode::kInternal,
                     absl::StrCat("device buffer of ", bytes, " bytes requested"));
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  DeviceBuffer buf;
  buf.bytes_ = bytes;
  Block b;
  if (Cache().Take(bytes, &b)) {
    buf.ptr_ = b.ptr;
    buf.capacity_ = b.capacity;
    return buf;
  }
  const int64_t capacity = std::max<int64_t>(256, (bytes + 255) / 256 * 256);
  void* p = nullptr;
  const int err = DeviceMalloc(&p, capacity);
  if (err != 0) {
    ClearLastError();
    return ctx.Error(absl::StatusCode::kResourceExhausted,
                     absl::StrCat("cudaMalloc of ", capacity, " bytes failed: ", ErrorString(err)));
  }
  buf.ptr_ = p;
  buf.capacity_ = capacity;
  return buf;
}

absl::StatusOr<DeviceBuffer> UploadBytes(const KernelContext& ctx, const void* data,
                                         int64_t bytes) {
  ASSIGN_OR_RETURN(DeviceBuffer buf, DeviceBuffer::Allocate(ctx, bytes));
  if (bytes > 0) {
    // From pageable host memory, cudaMemcpyAsync returns only after the bytes are staged, so
    // the caller may free `data` right away without a stream synchronization.
    RETURN_IF_ERROR(CudaCheck(ctx, CopyToDevice(buf.get(), data, bytes), "host-to-device copy"));
  }
  return buf;
}

absl::StatusOr<DeviceBuffer> Upload(const KernelContext& ctx, const Tensor& t) {
  ASSIGN_OR_RETURN(Tensor packed, t.Contiguous());
  return UploadBytes(ctx, packed.data(), packed.nbytes());
}

absl::StatusOr<Tensor> Download(const KernelContext& ctx, const DeviceBuffer& buffer, DType dtype,
                                Shape shape) {
  Tensor out = Tensor::Zeros(dtype, std::move(shape));
  const int64_t bytes = out.nbytes();
  if (bytes > buffer.bytes()) {
    return ctx.Error(absl::StatusCode::kInternal,
                     absl::StrCat("device result holds ", buffer.bytes(), " bytes, expected ",
                                  bytes));
  }
  if (bytes > 0) {
    RETURN_IF_ERROR(
        CudaCheck(ctx, CopyToHost(out.mutable_data(), buffer.get(), bytes), "device-to-host copy"));
  }
  // Also surfaces errors of the kernels queued before the copy.
  RETURN_IF_ERROR(CudaCheck(ctx, Synchronize(), "kernel execution"));
  return out;
}

int64_t CachedBytesForTesting() { return Cache().cached(); }

}  // namespace cuda
}  // namespace rt
}  // namespace tp
