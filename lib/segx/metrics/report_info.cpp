// Report headers: version and input digests.
#include "segx/metrics/report_info.hpp"

#include <filesystem>

#include "segx/core/build_info.hpp"
#include "segx/core/error.hpp"
#include "segx/io/digest.hpp"
#include "segx/io/stream.hpp"

namespace segx::metrics {

InputRecord describe_input(const std::string& role, const std::string& path) {
  InputRecord r{role, path, "", 0};
  if (path.empty() || io::is_std_stream(path) || std::filesystem::is_directory(path)) return r;
  const io::FileDigest d = io::sha256_file(path);
  r.bytes = d.bytes;
  r.digest = "sha256:" + d.sha256;
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
  return {{"schema_version", kReportSchemaVersion},
          {"segx_version", SEGX_VERSION},
          {"inputs", inputs},
          {"options", info.options}};
}

void check_report_schema(const nlohmann::json& j, const std::string& name) {
  if (!j.is_object()) return;
  const char* key = j.contains("schema_version") ? "schema_version" : "version";
  if (!j.contains(key)) return;
  const auto& v = j.at(key);
  if (!v.is_number_integer() || v.get<long long>() < 1)
    fail(ErrorKind::DataError, "'{}': {} {} is not a schema version", name, key, v.dump());
  if (v.get<long long>() > kReportSchemaVersion)
    fail(ErrorKind::DataError,
         "'{}': schema_version {} is newer than this segx reads ({}); use a newer segx", name,
         v.get<long long>(), kReportSchemaVersion);
}

nlohmann::json partial_header_json(const std::string& metric, const PartialHeader& header) {
  return {{"format", "segx-eval-partial"},
          {"schema_version", kReportSchemaVersion},
          {"metric", metric},
          {"shard", {header.shard_index, header.shard_count}},
          {"total_images", header.total_images},
          {"run", header.run}};
}

PartialHeader partial_header_from_json(const nlohmann::json& j, const std::string& metric,
                                       const std::string& what, const std::string& name) {
  if (j.at("format") != "segx-eval-partial" || j.at("metric") != metric)
    fail(ErrorKind::DataError, "'{}' is not {}", name, what);
  check_report_schema(j, name);
  PartialHeader h;
  h.shard_index = j.at("shard").at(0).get<int>();
  h.shard_count = j.at("shard").at(1).get<int>();
  h.total_images = j.at("total_images").get<std::size_t>();
  h.run = j.at("run");
  return h;
}

}  // namespace segx::metrics
