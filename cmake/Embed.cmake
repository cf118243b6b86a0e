# defifundr_embed_files(<target> <namespace> <variable> FILES f1 f2 ...)
#
# Generates a C++ source defining
# `std::span<const db::EmbeddedFile> <namespace>::<variable>()`, which returns the
# contents of the given files in the given order (see db/embedded_file.h); each
# entry's `name` is the file's base name. The files are re-embedded whenever they change.
function(defifundr_embed_files target namespace variable)
  cmake_parse_arguments(ARG "" "" "FILES" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${variable}_embedded.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" "-DOUT=${out}" "-DNAMESPACE=${namespace}"
            "-DVARIABLE=${variable}" "-DFILES=${ARG_FILES}"
            -P "${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake"
    DEPENDS ${ARG_FILES} "${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake"
    COMMENT "Embedding ${variable}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
