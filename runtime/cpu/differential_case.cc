#include "runtime/cpu/differential_case.h"

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "gtest/gtest.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/kernel.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

std::map<std::string, std::vector<CaseFn>>& Registry() {
  static auto* r = new std::map<std::string, std::vector<CaseFn>>();
  return *r;
}

}  // namespace

Tensor Random(Shape shape, uint32_t seed, float scale) {
  Tensor t = Tensor::Zeros(DType::kF32, shape);
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  float* p = t.mutable_data_as<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(gen);
  return t;
}

Tensor IntsI64(Shape shape, const std::vector<int64_t>& values) {
  Tensor t = Tensor::Zeros(DType::kI64, shape);
  for (size_t i = 0; i < values.size(); ++i) t.mutable_data_as<int64_t>()[i] = values[i];
  return t;
}

Tensor Ints(Shape shape, const std::vector<int32_t>& values) {
  Tensor t = Tensor::Zeros(DType::kI32, shape);
  for (size_t i = 0; i < values.size(); ++i) t.mutable_data_as<int32_t>()[i] = values[i];
  return t;
}

Tensor Special() {
  const float inf = std::numeric_limits<float>::infinity();
  return TensorFromFloats({12}, {std::nanf(""), inf, -inf, 0.0f, -0.0f, 1e-30f, 100.0f, -100.0f,
                                 3.5f, -2.25f, 1e-3f, -90.0f});
}

// Runs the case on both backends and compares every output: max |cpu - ref| must stay within
// c.rtol() * max |ref| (+ a tiny absolute floor for all-zero outputs).
void Check(const Case& c) {
  SCOPED_TRACE(c.node().name());
  const double rtol = c.rtol();
  const KernelDef* ref = ReferenceKernelTable().Find("", c.node().op_type(), c.opset());
  const KernelDef* fast = CpuKernelTable().Find("", c.node().op_type(), c.opset());
  ASSERT_NE(ref, nullptr);
  ASSERT_NE(fast, nullptr);
  KernelContext rctx(c.node(), c.opset(), c.InputPtrs(), 1);
  absl::Status rs = ref->fn(rctx);
  ASSERT_TRUE(rs.ok()) << rs;
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat(threads, " threads"));
    KernelContext fctx(c.node(), c.opset(), c.InputPtrs(), threads);
    absl::Status fs = fast->fn(fctx);
    ASSERT_TRUE(fs.ok()) << fs;
    for (int i = 0; i < c.node().output_size(); ++i) {
      const Tensor& r = rctx.outputs()[i];
      const Tensor& f = fctx.outputs()[i];
      ASSERT_EQ(ShapeToString(f.shape()), ShapeToString(r.shape())) << "output " << i;
      ASSERT_EQ(f.dtype(), r.dtype()) << "output " << i;
      std::vector<double> rv = *ToDoubleVector(r), fv = *ToDoubleVector(f);
      // Non-finite reference values must match exactly (NaN for NaN, inf of the same sign);
      // finite ones within rtol of the largest finite magnitude.
      double scale = 0, err = 0;
      for (size_t j = 0; j < rv.size(); ++j) {
        if (std::isfinite(rv[j])) scale = std::max(scale, std::fabs(rv[j]));
      }
      for (size_t j = 0; j < rv.size(); ++j) {
        if (!std::isfinite(rv[j])) {
          const bool same = std::isnan(rv[j]) ? std::isnan(fv[j]) : rv[j] == fv[j];
          EXPECT_TRUE(same) << "output " << i << " element " << j << ": " << fv[j] << ", reference "
                            << rv[j];
          continue;
        }
        const double e = std::fabs(rv[j] - fv[j]);
        err = std::max(err, std::isnan(e) ? 1e30 : e);
      }
      EXPECT_LE(err, rtol * scale + 1e-30)
          << "output " << i << ": max abs error " << err << " at max |ref| " << scale;
    }
  }
}

CaseRegistration::CaseRegistration(std::vector<std::string> ops, CaseFn fn) {
  for (const std::string& op : ops) Registry()[op].push_back(fn);
}

std::vector<Case> CasesFor(const std::string& op) {
  std::vector<Case> out;
  auto it = Registry().find(op);
  if (it == Registry().end()) return out;
  for (const CaseFn& fn : it->second) fn(op, &out);
  return out;
}

}  // namespace rt
}  // namespace tp
