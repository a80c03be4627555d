// Attribute and shape resolution for the recurrent ops (RNN, GRU, LSTM), shared by every backend:
// gate counts, directions, layouts, sequence lengths and activation functions.
//
// Example:
//   ASSIGN_OR_RETURN(RnnParams p, ResolveRnn(ctx, RnnKind::kLstm));
//   for (int d = 0; d < p.num_directions; ++d) ... p.activations[d][0].Apply(x) ...
#ifndef TENSORPORT_RUNTIME_REFERENCE_RNN_RNN_PARAMS_H_
#define TENSORPORT_RUNTIME_REFERENCE_RNN_RNN_PARAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {

// An activation function of the recurrent ops ("Sigmoid", "Tanh", "Relu", ...), with its
// alpha/beta. Apply() works in double for the reference and in float for the cpu backend.
struct RnnActivation {
  enum Kind {
    kSigmoid, kTanh, kRelu, kHardSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh,
    kElu, kSoftsign, kSoftplus
  };
  Kind kind = kSigmoid;
  double alpha = 0, beta = 0;
  double Apply(double x) const;
  float Apply(float x) const;
};

enum class RnnKind { kRnn, kGru, kLstm };

// RNN / GRU / LSTM geometry and attributes. Inputs: X, W, R, B, sequence_lens, initial_h (and
// for LSTM initial_c, P).
struct RnnParams {
  RnnKind kind = RnnKind::kLstm;
  int num_gates = 4;     // 4 for LSTM (i, o, f, c), 3 for GRU (z, r, h), 1 for RNN
  int num_directions = 1;
  bool forward = true;   // direction "forward" (or the first of "bidirectional")
  bool bidirectional = false;
  int64_t seq_len = 0, batch = 0, input_size = 0, hidden = 0;
  int64_t layout = 0;
  double clip = 0;       // 0: no clipping
  bool linear_before_reset = false;  // GRU
  // Per direction: f (RNN); f, g (GRU); f, g, h (LSTM).
  std::vector<std::vector<RnnActivation>> activations;
  // Effective length per batch entry (seq_len when sequence_lens is absent).
  std::vector<int64_t> lengths;
  Shape YShape() const;   // [seq, dirs, batch, hidden] or layout 1 [batch, seq, dirs, hidden]
  Shape YhShape() const;  // [dirs, batch, hidden] or layout 1 [batch, dirs, hidden]
  // Offsets (in elements) into X, Y, Y_h / initial state for time t, batch b (and direction d).
  int64_t XOffset(int64_t t, int64_t b) const;
  int64_t YOffset(int64_t t, int d, int64_t b) const;
  int64_t HOffset(int d, int64_t b) const;
  // Whether direction d runs backwards in time.
  bool Reverse(int d) const { return bidirectional ? d == 1 : !forward; }
};
absl::StatusOr<RnnParams> ResolveRnn(const KernelContext& ctx, RnnKind kind);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_RNN_RNN_PARAMS_H_
