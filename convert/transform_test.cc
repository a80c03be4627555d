// The registries: every schema pass (each case of schemas/conversion.proto's Pass oneof) has a
// registered unit, every transform a plan records is registered, and the invertible transforms
// undo what they apply (values from a fixed pattern computed here with plain loops).
#include "convert/transform.h"

#include <vector>

#include "convert/planner.h"
#include "gtest/gtest.h"
#include "schemas/conversion.pb.h"

namespace tp {
namespace {

TEST(RegistryTest, EveryPassOfTheSchemaIsRegistered) {
  const google::protobuf::OneofDescriptor* op =
      schema::Pass::descriptor()->FindOneofByName("op");
  ASSERT_NE(op, nullptr);
  for (int i = 0; i < op->field_count(); ++i) {
    const auto number = static_cast<schema::Pass::OpCase>(op->field(i)->number());
    const PassDef* def = FindPass(number);
    ASSERT_NE(def, nullptr) << "pass " << op->field(i)->name() << " has no registered unit";
    EXPECT_EQ(def->id, op->field(i)->name());
    EXPECT_TRUE(def->validate && def->plan && def->patterns) << def->id;
  }
}

TEST(RegistryTest, RecordedTransformsAreRegistered) {
  for (const char* op : {"rename", "fuse_weight_norm", "permute", "reshape", "split", "concat",
                         "cast", "add_bias"}) {
    const TransformDef* def = FindTransform(op);
    ASSERT_NE(def, nullptr) << op;
    EXPECT_TRUE(def->describe && def->apply) << op;
  }
  EXPECT_EQ(FindTransform("transpose"), nullptr);
}

TEST(RegistryTest, InvertibleTransformsUndoWhatTheyApply) {
  // x[i][j][k] = 100 i + 10 j + k, shape [2, 3, 4].
  std::vector<float> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) v.push_back(100.0f * i + 10.0f * j + k);
  const Tensor x = TensorFromFloats({2, 3, 4}, v);
  Transform permute;
  permute.op = "permute";
  permute.perm = {2, 0, 1};
  Transform reshape;
  reshape.op = "reshape";
  reshape.shape_before = {2, 3, 4};
  reshape.shape_after = {6, 4};
  Transform cast;
  cast.op = "cast";
  cast.dtype_before = DType::kF32;
  cast.dtype_after = DType::kF64;
  for (const Transform& t : {permute, reshape, cast}) {
    SCOPED_TRACE(t.Describe());
    absl::StatusOr<Tensor> y = ApplyTransform(t, {x});
    ASSERT_TRUE(y.ok()) << y.status();
    absl::StatusOr<std::optional<Tensor>> back = InvertTransform(t, *y);
    ASSERT_TRUE(back.ok() && back->has_value());
    EXPECT_EQ((*back)->shape(), x.shape());
    EXPECT_EQ(*ToDoubleVector(**back), *ToDoubleVector(x));
  }
  // The permuted layout itself: y[k][i][j] = x[i][j][k].
  absl::StatusOr<Tensor> y = ApplyTransform(permute, {x});
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->shape(), (Shape{4, 2, 3}));
  EXPECT_EQ((*ToDoubleVector(*y))[1 * 6 + 1 * 3 + 2], 100 + 20 + 1);
  Transform split;
  split.op = "split";
  EXPECT_FALSE(InvertTransform(split, x)->has_value());
  EXPECT_EQ(permute.Describe(), "permute[2,0,1]");
  EXPECT_EQ(cast.Describe(), "f32->f64");
}

}  // namespace
}  // namespace tp
