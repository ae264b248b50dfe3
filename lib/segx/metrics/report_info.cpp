// Report headers: version and input digests.
#include "segx/metrics/report_info.hpp"

#include <fmt/format.h>
#include <libdeflate.h>

#include <filesystem>

#include "segx/core/build_info.hpp"
#include "segx/io/stream.hpp"

namespace segx::metrics {

InputRecord describe_input(const std::string& role, const std::string& path) {
  InputRecord r{role, path, "", 0};
  if (path.empty() || io::is_std_stream(path) || std::filesystem::is_directory(path)) return r;
  const std::string bytes = io::read_all(path);
  r.bytes = bytes.size();
  r.digest = fmt::format("crc32:{:08x}", libdeflate_crc32(0, bytes.data(), bytes.size()));
  return r;
}

nlohmann::json report_header(const ReportInfo& info) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& in : info.inputs) {
    nlohmann::json j = {{"role", in.role}, {"path", in.path}};
    if (!in.digest.empty()) {
      j["digest"] = in.digest;
      j["bytes"] = in.bytes;
    }
    inputs.push_back(std::move(j));
  }
  return {{"segx_version", SEGX_VERSION}, {"inputs", inputs}, {"options", info.options}};
}

}  // namespace segx::metrics
