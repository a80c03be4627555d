// Tests for the conversion engine. Expected tensors come from PyTorch (weight-norm hook) and NumPy
// via testdata/make_engine_fixtures.py, never from the engine itself.
#include "convert/schema_engine.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "convert/schema_loader.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

std::string DataPath(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/tensorport/convert/testdata/" + name;
}

// Reads the fixture blob format written by make_engine_fixtures.py.
std::vector<NamedTensor> LoadBlob(const std::string& stem) {
  std::ifstream bin(DataPath(stem + ".bin"), std::ios::binary);
  std::stringstream ss;
  ss << bin.rdbuf();
  const std::string data = ss.str();
  std::ifstream txt(DataPath(stem + ".txt"));
  std::vector<NamedTensor> out;
  std::string line;
  while (std::getline(txt, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    EXPECT_EQ(f.size(), 5u) << line;
    Shape shape;
    if (f[2] != "-") {
      for (absl::string_view d : absl::StrSplit(f[2], ',')) {
        int64_t v = 0;
        EXPECT_TRUE(absl::SimpleAtoi(d, &v));
        shape.push_back(v);
      }
    }
    int64_t offset = 0, n = 0;
    EXPECT_TRUE(absl::SimpleAtoi(f[3], &offset));
    EXPECT_TRUE(absl::SimpleAtoi(f[4], &n));
    absl::StatusOr<Tensor> t = Tensor::FromBytes(*DTypeFromName(f[1]), shape, data.substr(offset, n));
    EXPECT_TRUE(t.ok()) << t.status();
    out.push_back({f[0], *t});
  }
  EXPECT_FALSE(out.empty()) << stem;
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.format = "test";
    source_.tensors = LoadBlob("engine_src");
    for (NamedTensor& t : LoadBlob("engine_expected")) expected_[t.name] = t.tensor;
  }

  // Plans with `text` as schema; keeps only the tensors matching `keep` unless told otherwise.
  absl::StatusOr<ConversionPlan> PlanWith(const std::string& text, EngineOptions opts = {}) {
    absl::StatusOr<schema::Conversion> s = ParseSchema(text, "test.textproto");
    if (!s.ok()) return s.status();
    schema_ = *s;
    opts.schema_source = "test.textproto";
    return Plan(source_, &schema_, opts);
  }

  const PlannedOutput* Find(const ConversionPlan& plan, const std::string& name, size_t* index) {
    for (size_t i = 0; i < plan.outputs().size(); ++i) {
      if (plan.outputs()[i].name == name) {
        *index = i;
        return &plan.outputs()[i];
      }
    }
    return nullptr;
  }

  // Produces `name` and compares it with expected tensor `want` (relative tolerance in f32 ulps).
  void ExpectOutput(const ConversionPlan& plan, const std::string& name, const std::string& want,
                    double rtol = 2e-7) {
    size_t i = 0;
    const PlannedOutput* o = Find(plan, name, &i);
    ASSERT_NE(o, nullptr) << "no output " << name;
    const Tensor& e = expected_.at(want);
    EXPECT_EQ(o->shape, e.shape()) << name;
    EXPECT_EQ(o->dtype, e.dtype()) << name;
    absl::StatusOr<Tensor> t = plan.Produce(i);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_EQ(t->shape(), e.shape()) << name;
    std::vector<double> got = *ToDoubleVector(*t), exp = *ToDoubleVector(e);
    ASSERT_EQ(got.size(), exp.size());
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_NEAR(got[k], exp[k], rtol * std::fabs(exp[k]) + 1e-12) << name << "[" << k << "]";
    }
  }

  Checkpoint source_;
  schema::Conversion schema_;
  std::map<std::string, Tensor> expected_;
};

TEST_F(EngineTest, FusesWeightNormLikePyTorch) {
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { fuse_weight_norm {} }
    pass { rename { pattern: "dec\\.conv_pre\\.(weight|bias)" replacement: "conv.\\1" } }
    pass { rename { pattern: "dec\\.ups\\.0\\.weight" replacement: "up.weight" } }
    pass { keep { pattern: "post\\.weight" } }
    pass { drop { pattern: "enc\\..*|attn\\..*|proj\\..*" } }
  )pb");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ExpectOutput(*plan, "conv.weight", "conv.weight");
  ExpectOutput(*plan, "up.weight", "up.weight");
  // parametrizations.weight.original0/1 fuse to the same weight.
  ExpectOutput(*plan, "post.weight", "conv.weight");
  size_t i = 0;
  const PlannedOutput* up = Find(*plan, "up.weight", &i);
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->sources, (std::vector<std::string>{"dec.ups.0.weight_g", "dec.ups.0.weight_v"}));
  ASSERT_GE(up->transforms.size(), 2u);
  EXPECT_EQ(up->transforms[0].op, "fuse_weight_norm");
  EXPECT_EQ(up->transforms[0].axis, 0);
  EXPECT_EQ(up->transforms[1].op, "rename");
  EXPECT_EQ(up->transforms[1].to_name, "up.weight");
}

TEST_F(EngineTest, MlxLayoutFollowsDeclarationsOnly) {
  EngineOptions opts;
  opts.conv_layout = ConvLayout::kMlx;
  opts.fuse_weight_norm = true;
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { rename { pattern: "dec\\.conv_pre\\.(weight|bias)" replacement: "conv.\\1" } }
    pass { rename { pattern: "dec\\.ups\\.0\\.weight" replacement: "up.weight" } }
    pass { keep { pattern: ".*" } }
    conv1d_weight: "conv\\.weight"
    conv_transpose1d_weight: "up\\.weight"
  )pb", opts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ExpectOutput(*plan, "conv.weight", "conv.weight.mlx");
  ExpectOutput(*plan, "up.weight", "up.weight.mlx");
  // post.weight is 3-D but undeclared: left alone, and the report says so.
  size_t i = 0;
  const PlannedOutput* post = Find(*plan, "post.weight", &i);
  ASSERT_NE(post, nullptr);
  EXPECT_EQ(post->shape, (Shape{6, 4, 3}));
  ASSERT_EQ(plan->notes().size(), 1u);
  EXPECT_NE(plan->notes()[0].find("post.weight"), std::string::npos);
  // The permutation is recorded so verify can invert it.
  const PlannedOutput* up = Find(*plan, "up.weight", &i);
  EXPECT_EQ(up->transforms.back().perm, (std::vector<int>{1, 2, 0}));
  EXPECT_EQ(InversePermutation(up->transforms.back().perm), (std::vector<int>{2, 0, 1}));
}

TEST_F(EngineTest, MlxWithoutDeclarationsIsAnError) {
  EngineOptions opts;
  opts.conv_layout = ConvLayout::kMlx;
  absl::StatusOr<ConversionPlan> plan = PlanWith("pass { keep { pattern: \".*\" } }", opts);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("conv1d_weight"), std::string::npos);
}

TEST_F(EngineTest, LstmCombineBias) {
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { lstm { pattern: "enc\\.(lstm)" combine_bias: true forward_name: "\\1" reverse_name: "\\1" } }
    pass { keep { pattern: ".*" } }
  )pb", {});
  ASSERT_FALSE(plan.ok());  // forward and reverse now collide on one name
  EXPECT_NE(plan.status().message().find("lstm.bias_l0"), std::string::npos) << plan.status();

  plan = PlanWith(R"pb(
    pass { lstm { pattern: "enc\\.(lstm)" combine_bias: true forward_name: "\\1" } }
    pass { keep { pattern: ".*" } }
  )pb", {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  ExpectOutput(*plan, "lstm.bias_l0", "lstm.bias_l0");
  ExpectOutput(*plan, "enc.lstm.bias_l0_reverse", "lstm.bias_l0_reverse");
  size_t i = 0;
  EXPECT_EQ(Find(*plan, "enc.lstm.bias_ih_l0", &i), nullptr);
  EXPECT_EQ(Find(*plan, "enc.lstm.bias_hh_l0", &i), nullptr);
}

TEST_F(EngineTest, LstmSplitGatesInPyTorchOrder) {
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { lstm { pattern: "enc\\.lstm" split_gates: true forward_name: "lstm" reverse_name: "lstm_rev" } }
    pass { keep { pattern: ".*" } }
  )pb", {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const char* g : {"i", "f", "g", "o"}) {
    ExpectOutput(*plan, std::string("lstm.weight_ih_l0.") + g, std::string("lstm.weight_ih_l0.") + g);
  }
  size_t i = 0;
  EXPECT_NE(Find(*plan, "lstm_rev.weight_hh_l0.o", &i), nullptr);
}

TEST_F(EngineTest, SplitsQkvAndCastsWithKeepRules) {
  EngineOptions opts;
  opts.out_type = OutType::kF16;
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { split { pattern: "attn\\.qkv\\.weight" axis: 0 part { name: "attn.q.weight" } part { name: "attn.k.weight" } part { name: "attn.v.weight" } } }
    pass { keep { pattern: ".*" } }
  )pb", opts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  size_t i = 0;
  ASSERT_NE(Find(*plan, "attn.q.weight", &i), nullptr);
  EXPECT_EQ(plan->outputs()[i].dtype, DType::kF16);
  // Norms, biases and 1-D tensors stay f32.
  ASSERT_NE(Find(*plan, "attn.norm.weight", &i), nullptr);
  EXPECT_EQ(plan->outputs()[i].dtype, DType::kF32);
  ASSERT_NE(Find(*plan, "dec.conv_pre.bias", &i), nullptr);
  EXPECT_EQ(plan->outputs()[i].dtype, DType::kF32);

  // Bit-exact against NumPy's astype(float16) after the split.
  plan = PlanWith(R"pb(
    pass { keep { pattern: ".*" } }
  )pb", opts);
  ASSERT_TRUE(plan.ok());
  ASSERT_NE(Find(*plan, "attn.qkv.weight", &i), nullptr);
  absl::StatusOr<Tensor> t = plan->Produce(i);
  ASSERT_TRUE(t.ok());
  const Tensor& e = expected_.at("attn.qkv.weight.f16");
  ASSERT_EQ(t->nbytes(), e.nbytes());
  // The cast is computed as the tensor is read (a streamed tensor); read it whole here.
  EXPECT_TRUE(t->is_streamed());
  absl::StatusOr<Tensor> whole = t->Contiguous();
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(0, std::memcmp(whole->data(), e.data(), e.nbytes()));

  opts.out_type = OutType::kF32;
  plan = PlanWith(R"pb(
    pass { split { pattern: "attn\\.qkv\\.weight" axis: 0 part { name: "attn.q.weight" } part { name: "attn.k.weight" } part { name: "attn.v.weight" } } }
    pass { keep { pattern: ".*" } }
  )pb", opts);
  ASSERT_TRUE(plan.ok());
  ExpectOutput(*plan, "attn.q.weight", "attn.q.weight", 0);
  ExpectOutput(*plan, "attn.v.weight", "attn.v.weight", 0);
}

TEST_F(EngineTest, ConcatUndoesSplit) {
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { split { pattern: "attn\\.qkv\\.weight" axis: 0 part { name: "attn.q.weight" } part { name: "attn.k.weight" size: 8 } part { name: "attn.v.weight" } } }
    pass { concat { pattern: "attn\\.(q|k)\\.weight" output: "attn.qk.weight" axis: 0 } }
    pass { keep { pattern: ".*" } }
  )pb", {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  size_t i = 0;
  ASSERT_NE(Find(*plan, "attn.qk.weight", &i), nullptr);
  EXPECT_EQ(plan->outputs()[i].shape, (Shape{16, 8}));
  absl::StatusOr<Tensor> t = plan->Produce(i);
  ASSERT_TRUE(t.ok());
  std::vector<double> got = *ToDoubleVector(*t);
  std::vector<double> q = *ToDoubleVector(expected_.at("attn.q.weight"));
  std::vector<double> k = *ToDoubleVector(expected_.at("attn.k.weight"));
  q.insert(q.end(), k.begin(), k.end());
  EXPECT_EQ(got, q);
}

TEST_F(EngineTest, Q8_0FallsBackToF16WhenLastDimIsNotAMultipleOf32) {
  EngineOptions opts;
  opts.out_type = OutType::kQ8_0;
  absl::StatusOr<ConversionPlan> plan = PlanWith("pass { keep { pattern: \".*\" } }", opts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  size_t i = 0;
  ASSERT_NE(Find(*plan, "proj.weight", &i), nullptr);
  EXPECT_EQ(plan->outputs()[i].dtype, DType::kQ8_0);
  EXPECT_TRUE(plan->Produce(i).ok());
  ASSERT_NE(Find(*plan, "attn.qkv.weight", &i), nullptr);  // last dim 8
  EXPECT_EQ(plan->outputs()[i].dtype, DType::kF16);
  ASSERT_EQ(plan->outputs()[i].notes.size(), 1u);
  EXPECT_NE(plan->outputs()[i].notes[0].find("multiple of 32"), std::string::npos);
}

TEST_F(EngineTest, UnmappedTensorsAreListedAllAtOnce) {
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { fuse_weight_norm {} }
    pass { rename { pattern: "dec\\.conv_pre\\.(weight|bias)" replacement: "conv.\\1" } }
    pass { keep { pattern: "enc\\.lstm\\..*" } }
    pass { keep { pattern: "attn\\.qkv\\.weight" } }
  )pb");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(plan.status().message());
  EXPECT_NE(msg.find("test.textproto"), std::string::npos) << msg;
  EXPECT_NE(msg.find("6 source tensors are not mapped"), std::string::npos) << msg;
  for (const char* name : {"\"dec.ups.0.weight_g\"", "\"dec.ups.0.weight_v\"",
                           "\"post.parametrizations.weight.original0\"", "\"attn.norm.weight\"",
                           "\"proj.weight\""}) {
    EXPECT_NE(msg.find(name), std::string::npos) << name << " in " << msg;
  }
  EXPECT_NE(msg.find("nearest rule: keep \"attn\\.qkv\\.weight\""), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);

  EngineOptions allow;
  allow.allow_unmapped = true;
  plan = PlanWith(R"pb(pass { keep { pattern: "attn\\..*" } })pb", allow);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->unmapped().empty());
}

TEST_F(EngineTest, UnpairedWeightNormIsAnError) {
  source_.tensors.erase(source_.tensors.begin() + 1);  // dec.conv_pre.weight_v
  absl::StatusOr<ConversionPlan> plan = PlanWith("pass { fuse_weight_norm {} }");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("\"dec.conv_pre.weight_g\" has no matching weight_v"),
            std::string::npos)
      << plan.status();
}

TEST_F(EngineTest, PermuteChecksRank) {
  absl::StatusOr<ConversionPlan> plan = PlanWith(
      "pass { permute { pattern: \"attn\\\\.qkv\\\\.weight\" perm: [0, 2, 1] rank: 3 } }");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("found rank 2"), std::string::npos) << plan.status();
}

TEST_F(EngineTest, GgufNamesOver63BytesAreListed) {
  EngineOptions opts;
  opts.target_format = "gguf";
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { rename { pattern: "proj\\.weight" replacement: "a.very.long.module.path.that.goes.on.and.on.for.ever.proj.weight" } }
    pass { keep { pattern: ".*" } }
  )pb", opts);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("63 bytes"), std::string::npos);
  EXPECT_NE(plan.status().message().find("a.very.long"), std::string::npos);
  EXPECT_NE(plan.status().message().find("rename"), std::string::npos);
}

TEST_F(EngineTest, ExpectListsEveryDifference) {
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    pass { keep { pattern: ".*" } }
    expect { tensor { name: "proj.weight" shape: [64, 4] dtype: "f32" }
             tensor { name: "attn.norm.weight" dtype: "f16" }
             tensor { name: "missing.weight" } }
  )pb");
  ASSERT_FALSE(plan.ok());
  const std::string msg(plan.status().message());
  EXPECT_NE(msg.find("3 places"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"proj.weight\" shape [4, 64], expected [64, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"attn.norm.weight\" dtype f32, expected f16"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing \"missing.weight\""), std::string::npos) << msg;
}

TEST_F(EngineTest, MetadataFromLiteralsCheckpointAndConfig) {
  source_.metadata.emplace_back("config.sampling_rate", MetaValue::Int(22050));
  EngineOptions opts;
  opts.target_format = "gguf";
  opts.out_type = OutType::kF16;
  opts.config_json = R"({"upsample_rates": [8, 8, 2, 2], "model": {"dim": 512, "eps": 1e-5}})";
  absl::StatusOr<ConversionPlan> plan = PlanWith(R"pb(
    architecture: "hifigan"
    pass { keep { pattern: ".*" } }
    metadata { key: "hifigan.sampling_rate" type: "u32" from_checkpoint: "config.sampling_rate" }
    metadata { key: "hifigan.upsample_rates" type: "u32" from_config: "upsample_rates" }
    metadata { key: "hifigan.dim" from_config: "model.dim" }
    metadata { key: "hifigan.eps" type: "f32" from_config: "model.eps" }
    metadata { key: "hifigan.note" string_value: "tiny" }
    metadata { key: "hifigan.absent" from_config: "nope" optional: true }
  )pb", opts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const Metadata& m = plan->metadata();
  ASSERT_NE(FindMeta(m, "general.architecture"), nullptr);
  EXPECT_EQ(FindMeta(m, "general.architecture")->s, "hifigan");
  EXPECT_EQ(FindMeta(m, "general.file_type")->u, 1u);
  EXPECT_EQ(FindMeta(m, "hifigan.sampling_rate")->type, MetaValue::Type::kU32);
  EXPECT_EQ(FindMeta(m, "hifigan.sampling_rate")->u, 22050u);
  const MetaValue* rates = FindMeta(m, "hifigan.upsample_rates");
  ASSERT_NE(rates, nullptr);
  ASSERT_EQ(rates->array.size(), 4u);
  EXPECT_EQ(rates->element_type, MetaValue::Type::kU32);
  EXPECT_EQ(rates->array[2].u, 2u);
  EXPECT_EQ(FindMeta(m, "hifigan.dim")->u, 512u);
  EXPECT_EQ(FindMeta(m, "hifigan.eps")->type, MetaValue::Type::kF32);
  EXPECT_EQ(FindMeta(m, "hifigan.note")->s, "tiny");
  EXPECT_EQ(FindMeta(m, "hifigan.absent"), nullptr);
  // Source leaves are kept under the prefix.
  EXPECT_NE(FindMeta(m, "tensorport.source.config.sampling_rate"), nullptr);

  plan = PlanWith(R"pb(
    pass { keep { pattern: ".*" } }
    metadata { key: "x" from_config: "nope" }
  )pb", opts);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("\"nope\""), std::string::npos);
}

TEST(SchemaLoaderTest, BadTextprotoNamesFileLineAndColumn) {
  absl::StatusOr<schema::Conversion> s =
      ParseSchema("name: \"x\"\npass {\n  renam { pattern: \"a\" }\n}\n", "rules.textproto");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("rules.textproto:3:"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find("renam"), std::string::npos) << s.status();
}

TEST(SchemaLoaderTest, BadRegexAndDtypeAreRejected) {
  absl::StatusOr<schema::Conversion> s =
      ParseSchema("pass { rename { pattern: \"(a\" replacement: \"b\" } }", "r.textproto");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("r.textproto: pass 0"), std::string::npos) << s.status();
  s = ParseSchema("pass { cast { dtype: \"f8\" } }", "r.textproto");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("\"f8\""), std::string::npos);
}

TEST(SchemaLoaderTest, PresetsParse) {
  for (const char* name : {"hifigan", "encodec", "kokoro", "mlx"}) {
    absl::StatusOr<schema::Conversion> s = LoadPreset(name);
    EXPECT_TRUE(s.ok()) << name << ": " << s.status();
  }
  absl::StatusOr<schema::Conversion> s = LoadPreset("nope");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("hifigan"), std::string::npos);
}

TEST(TensorOpsTest, PermuteMatchesIndexArithmetic) {
  // Independent of the fixtures: a [2,3,4] iota, permuted [2,0,1], checked element by element.
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i);
  Tensor t = TensorFromFloats({2, 3, 4}, v);
  absl::StatusOr<Tensor> p = PermuteTensor(t, {2, 0, 1});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->shape(), (Shape{4, 2, 3}));
  const float* d = p->data_as<float>();
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(d[(a * 2 + b) * 3 + c], b * 12 + c * 4 + a);
}

}  // namespace
}  // namespace tp
