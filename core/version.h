// The project's version, recorded in what convert writes (provenance) and printed by the tools.
#ifndef TENSORPORT_CORE_VERSION_H_
#define TENSORPORT_CORE_VERSION_H_

namespace tp {

inline constexpr char kToolVersion[] = "0.5.0";

}  // namespace tp

#endif  // TENSORPORT_CORE_VERSION_H_
