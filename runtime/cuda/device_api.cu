// The CUDA runtime and cuBLAS wrappers of device_api.h.
#include "runtime/cuda/device_api.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace tp {
namespace rt {
namespace cuda {

int GetDeviceCount(int* count) { return static_cast<int>(cudaGetDeviceCount(count)); }
const char* ErrorName(int err) { return cudaGetErrorName(static_cast<cudaError_t>(err)); }
const char* ErrorString(int err) { return cudaGetErrorString(static_cast<cudaError_t>(err)); }
void ClearLastError() { cudaGetLastError(); }

int DeviceMalloc(void** ptr, int64_t bytes) { return static_cast<int>(cudaMalloc(ptr, bytes)); }
int DeviceFree(void* ptr) { return static_cast<int>(cudaFree(ptr)); }

int CopyToDevice(void* dst, const void* src, int64_t bytes) {
  return static_cast<int>(
      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cudaStreamPerThread));
}
int CopyToHost(void* dst, const void* src, int64_t bytes) {
  return static_cast<int>(
      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cudaStreamPerThread));
}
int CopyOnDevice(void* dst, const void* src, int64_t bytes) {
  return static_cast<int>(
      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cudaStreamPerThread));
}
int FillZero(void* dst, int64_t bytes) {
  return static_cast<int>(cudaMemsetAsync(dst, 0, bytes, cudaStreamPerThread));
}
int Synchronize() { return static_cast<int>(cudaStreamSynchronize(cudaStreamPerThread)); }

int BlasCreate(void** handle) {
  cublasHandle_t h = nullptr;
  cublasStatus_t s = cublasCreate(&h);
  if (s != CUBLAS_STATUS_SUCCESS) return static_cast<int>(s);
  s = cublasSetStream(h, cudaStreamPerThread);
  if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
  if (s != CUBLAS_STATUS_SUCCESS) {
    cublasDestroy(h);
    return static_cast<int>(s);
  }
  *handle = h;
  return 0;
}

int BlasDestroy(void* handle) {
  return static_cast<int>(cublasDestroy(static_cast<cublasHandle_t>(handle)));
}

const char* BlasStatusName(int status) {
  return cublasGetStatusName(static_cast<cublasStatus_t>(status));
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
int BlasSgemm(void* handle, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
              float* c, int64_t ldc) {
  return static_cast<int>(cublasSgemm_64(
      static_cast<cublasHandle_t>(handle), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
      trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc));
}

int BlasSgemmStridedBatched(void* handle, bool trans_a, bool trans_b, int64_t m, int64_t n,
                            int64_t k, float alpha, const float* a, int64_t lda, int64_t stride_a,
                            const float* b, int64_t ldb, int64_t stride_b, float beta, float* c,
                            int64_t ldc, int64_t stride_c, int64_t batch) {
  return static_cast<int>(cublasSgemmStridedBatched_64(
      static_cast<cublasHandle_t>(handle), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
      trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, ldb, stride_b, a, lda, stride_a,
      &beta, c, ldc, stride_c, batch));
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
