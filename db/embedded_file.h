// A file compiled into the binary (see cmake/Embed.cmake).
#ifndef DEFIFUNDR_DB_EMBEDDED_FILE_H_
#define DEFIFUNDR_DB_EMBEDDED_FILE_H_

#include "absl/strings/string_view.h"

namespace defifundr::db {

/// One file embedded at build time. Both views point at static storage.
struct EmbeddedFile {
  absl::string_view
      name;  ///< Base name, e.g. "00001_create_extension_uuid.sql".
  absl::string_view contents;  ///< The file's bytes, exactly as on disk.
};

}  // namespace defifundr::db

#endif  // DEFIFUNDR_DB_EMBEDDED_FILE_H_
