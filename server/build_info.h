// What was built: the version, git commit and build type, for
// defifundr_build_info and `--version`.
#ifndef DEFIFUNDR_SERVER_BUILD_INFO_H_
#define DEFIFUNDR_SERVER_BUILD_INFO_H_

namespace defifundr::server {

/// The project's version (CMake's PROJECT_VERSION), e.g. "0.1.0".
const char* BuildVersion();
/// The first 12 hex digits of the git commit the build was made from, read
/// at every build; "unknown" outside a git checkout.
const char* BuildCommit();
/// CMake's build type ("Release", "RelWithDebInfo", "Debug"; "none" when
/// unset).
const char* BuildType();

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_BUILD_INFO_H_
