// Read-only access to the records of a zip archive (torch.save's container) through libzip.
// Records are looked up by name and read into memory; nothing is ever extracted to disk, so the
// names a stranger put in the archive are only ever compared, never used as paths.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace segx::io {

class ZipReader {
 public:
  // Opens `path` ("-": stdin, read into memory). Error(NoInput) when unreadable,
  // Error(DataError) when it is not a consistent zip archive.
  static ZipReader open(const std::string& path);
  // An archive already in memory; `name` is used in error messages.
  static ZipReader from_bytes(std::string bytes, const std::string& name);

  ZipReader(ZipReader&&) noexcept;
  ZipReader& operator=(ZipReader&&) noexcept;
  ~ZipReader();

  const std::string& name() const { return name_; }
  // The archive's size in bytes.
  std::uint64_t archive_size() const { return archive_size_; }
  std::vector<std::string> record_names() const;
  // The uncompressed size of a record, nullopt when there is none of that name.
  std::optional<std::uint64_t> record_size(const std::string& record) const;
  // Reads a whole record. Error(DataError) when absent, larger than `max_bytes`, compressed
  // beyond what deflate can do, encrypted, shorter than declared, or failing its CRC.
  std::string read(const std::string& record, std::uint64_t max_bytes) const;

 private:
  ZipReader() = default;
  struct Archive;
  std::unique_ptr<Archive> archive_;
  std::string name_;
  std::uint64_t archive_size_ = 0;
};

}  // namespace segx::io
