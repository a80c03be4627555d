// Minimal PNG encoding (8-bit RGB, one zlib-compressed IDAT) for the HTML report's images, and a
// data: URI wrapper so the report stays one self-contained file.
//
// Example:
//   std::string uri = PngDataUri(EncodePng(rgb, width, height));
//   html += "<img src=\"" + uri + "\">";
#ifndef TENSORPORT_VERIFY_PNG_H_
#define TENSORPORT_VERIFY_PNG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tp {
namespace verify {

// `rgb` holds width * height * 3 bytes, row-major.
std::string EncodePng(const std::vector<uint8_t>& rgb, int width, int height);
std::string PngDataUri(const std::string& png);

// Values to RGB: a gray ramp from lo to hi, or (diverging) blue-white-red symmetric around 0, or
// (magma-like) black-purple-orange-yellow for spectrograms. Non-finite values are drawn green.
enum class Palette { kGray, kDiverging, kHeat };
std::vector<uint8_t> Colorize(const std::vector<float>& v, Palette palette, float lo, float hi);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_PNG_H_
